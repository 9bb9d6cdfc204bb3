"""Loudspeaker bulletins: Lai Châu's 38 communes in every format, then national scale in TXT.

Standalone: a throwaway SQLite database (the embedded default) migrated with Alembic,
the 38 real communes plus synthetic ones, loudspeaker channels and released items.
Prints the figures; asserts nothing. Goals: 3,300 TXT bulletins under 10 s and 300 MB;
DOCX and PDF under 150 ms each (median); all 38 communes' MP3s and platform packages for a
day under 60 s on two cores and 300 MB.

    python bench/bulletins.py [--communes 3300] [--per-channel 52] [--items 3] [--no-audio]
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from channels.loudspeaker import (  # noqa: E402
    audio_available,
    render_audio,
    render_docx,
    render_pdf,
    render_txt,
)
from channels.loudspeaker.audio_mp3 import AudioRenderer  # noqa: E402
from content_library.models import Commune  # noqa: E402
from content_library.services import approve, create_content, submit  # noqa: E402
from publisher import create_app  # noqa: E402
from publisher.auth.services import create_user  # noqa: E402
from publisher.db import db  # noqa: E402
from publisher.delivery.channels import create_channel  # noqa: E402
from publisher.delivery.publications import schedule  # noqa: E402
from publisher.loudspeaker.audio_renders import render_bulletins  # noqa: E402
from publisher.loudspeaker.bulletins import bulletin_for, bulletins_for_day  # noqa: E402
from publisher.loudspeaker.views import spoken_text  # noqa: E402
from publisher.migrate import upgrade  # noqa: E402
from publisher.seed import load_communes  # noqa: E402

SECRET = "bench-secret-key-0123456789abcdef"
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2030, 6, 14)
SYNTHETIC_FIRST = 60000
BODIES = [
    "Thực hiện Kế hoạch số 15/KH-UBND, Ban Chỉ đạo vận động HMTN tổ chức đợt hiến máu ngày "
    "14/6/2025 lúc 7h00 tại Nhà văn hóa {place}, mục tiêu 350 đơn vị máu. Người từ 18-60 tuổi, "
    "nữ nặng từ 42 kg, nam từ 45 kg, khỏe mạnh, cách lần hiến máu toàn phần trước ít nhất 12 "
    "tuần đều có thể tham gia. Liên hệ điện thoại 0213 3876 543.",
    "Mỗi đơn vị máu 350 ml có thể cứu sống 3 người bệnh. Người hiến máu được khám, tư vấn miễn "
    "phí, nhận giấy chứng nhận và được ưu tiên truyền máu khi cần. Đề nghị bà con {place} "
    "hưởng ứng Ngày Thế giới tôn vinh người hiến máu 14/6.",
    "Đợt HMTN ngày 20/12/2024 lúc 7h30 tại Hội trường UBND TP. Lai Châu. Bà con nhớ ăn nhẹ, "
    "không uống rượu bia trước khi hiến máu và mang theo căn cước công dân.",
]
MONG = "Tuaj pub ntshav rau hnub 14/6 thaum 7 teev sawv ntxov ntawm tsev kab lis kev cai."


def at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(DAY, clock(hour, minute), LOCAL)


def seed(communes: int, per_channel: int, items: int) -> tuple[list[str], list[str]]:
    """Lai Châu's channel and items, synthetic communes in channels of ``per_channel`` each."""
    session = db.session
    load_communes(session)
    real = [c.code for c in session.query(Commune).order_by(Commune.code)]
    synthetic = [f"{SYNTHETIC_FIRST + n:05d}" for n in range(max(0, communes - len(real)))]
    session.add_all(
        Commune(code=code, name=f"Thử {n + 1}", kind="xã") for n, code in enumerate(synthetic)
    )
    author = create_user(session, "bench-author", "editor")
    approver = create_user(session, "bench-approver", "approver")
    session.flush()

    def release(channel_id: int, n: int, hour: int, place: str, **kw: object) -> None:
        item = create_content(
            session,
            kind="script",
            title=f"Thông báo số {n + 1}",
            body=BODIES[n % len(BODIES)].format(place=place),
            author_id=author.id,
            **kw,
        )
        submit(item, author.id)
        approve(session, item, approver.id)
        pub = schedule(
            session,
            content_id=item.id,
            channel_id=channel_id,
            scheduled_at=at(hour, 5 * n % 60),
            priority=("normal", "priority", "emergency")[n % 3],
            repeats=2,
        )
        pub.status = "published"

    province = create_channel(
        session,
        kind="loudspeaker",
        slug="lai-chau",
        name="Lai Châu",
        settings={"commune_codes": real},
        secret_key=SECRET,
    )
    for n in range(6):
        release(
            province.id,
            n,
            6 if n % 2 == 0 else 17,
            "xã",
            variants={"hmn": {"name": "Tiếng Mông", "text": MONG}},
        )
    everyone = real + synthetic
    groups = [everyone[i : i + per_channel] for i in range(0, len(everyone), per_channel)]
    for g, codes in enumerate(groups):
        channel = create_channel(
            session,
            kind="loudspeaker",
            slug=f"tinh-{g}",
            name=f"Tỉnh {g}",
            settings={"commune_codes": codes},
            secret_key=SECRET,
        )
        for n in range(items):
            release(channel.id, n, 6 if n % 2 == 0 else 17, f"tỉnh {g}")
    session.commit()
    return real, everyone


def median_ms(samples: list[float], cpu: list[float] | None = None) -> str:
    text = f"median {statistics.median(samples) * 1000:6.1f} ms, max {max(samples) * 1000:6.1f} ms"
    if cpu:
        text += f" (CPU median {statistics.median(cpu) * 1000:6.1f} ms)"
    return text


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def cpu_timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    """Wall and CPU seconds: on a shared machine the wall clock also counts others' turns."""
    cpu = time.process_time()
    seconds, result = timed(fn)
    return seconds, time.process_time() - cpu, result


def lai_chau(real: list[str], audio: bool) -> None:
    session = db.session
    seconds, bulletins = timed(lambda: bulletins_for_day(session, DAY, real))
    print(f"Lai Châu: {len(bulletins)} bulletins built in {seconds * 1000:.0f} ms (one batch)")
    single = [timed(lambda c=code: bulletin_for(session, c, DAY))[0] for code in real]
    print(f"  bulletin_for, one commune:   {median_ms(single)}")
    renderers = {"TXT": render_txt, "DOCX": render_docx, "PDF": render_pdf}
    if audio and audio_available():
        renderers["WAV"] = lambda b: render_audio(spoken_text(b))
    for name, render in renderers.items():
        samples, cpu, sizes = [], [], []
        for bulletin in bulletins.values():
            seconds, used, body = cpu_timed(lambda b=bulletin, r=render: r(b))
            samples.append(seconds)
            cpu.append(used)
            sizes.append(len(body.encode() if isinstance(body, str) else body))
        # espeak-ng runs in a child process, so the WAV's CPU figure leaves out synthesis.
        print(
            f"  {name:4} x {len(samples)}: {median_ms(samples, cpu)}, "
            f"median size {statistics.median(sizes) / 1024:.0f} KB"
        )
    if audio and not audio_available():
        print("  WAV, MP3: espeak-ng is not installed (skipped)")
    elif audio:
        mp3_audio(real)


def mp3_audio(real: list[str]) -> None:
    """MP3 per commune-day (cold: nothing shared), then the whole province's day as the
    worker renders it (MP3s, packages and item files, shared segments), then bytes a minute."""
    session = db.session
    bulletins = list(bulletins_for_day(session, DAY, real).values())
    samples, sizes, lengths = [], [], []
    for bulletin in bulletins[:8]:
        seconds, audio = timed(lambda b=bulletin: AudioRenderer().bulletin(b, {}))
        samples.append(seconds)
        sizes.append(len(audio.data))
        lengths.append(audio.seconds)
    print(
        f"  MP3 x {len(samples)} (each from nothing): {median_ms(samples)}, median size "
        f"{statistics.median(sizes) / 1024:.0f} KB for {statistics.median(lengths) / 60:.1f} min"
    )
    print(f"  MP3 bytes per minute of audio: {sum(sizes) / sum(lengths) * 60 / 1024:.0f} KB")
    gc.collect()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    seconds, cpu, report = cpu_timed(lambda: render_bulletins(session, bulletins))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  Day's audio for {len(bulletins)} communes (MP3 + ZIP + item MP3s, stored): "
        f"{seconds:.1f} s wall, {cpu:.1f} s CPU in this process (espeak-ng runs in children); "
        f"{report.bulletins} MP3s ({report.bytes / 2**20:.1f} MB, "
        f"{report.seconds / 3600:.1f} h of audio), {report.packages} packages, "
        f"{report.items} item files"
    )
    print(
        f"  peak Python memory (tracemalloc): {peak / 2**20:.0f} MB; "
        f"process peak RSS {rss_before:.0f} MB before, {rss_after:.0f} MB after"
    )


def national(everyone: list[str]) -> None:
    session = db.session

    def run() -> int:
        bulletins = bulletins_for_day(session, DAY, everyone)
        return sum(len(render_txt(b)) for b in bulletins.values())

    gc.collect()
    seconds, cpu, chars = cpu_timed(run)
    session.expunge_all()
    print(
        f"National: {len(everyone)} TXT bulletins in {seconds:.2f} s wall, {cpu:.2f} s CPU "
        f"({chars / 1e6:.1f} M characters)"
    )
    gc.collect()
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    session.expunge_all()
    print(f"  peak Python memory during the run (tracemalloc): {peak / 2**20:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=3300)
    parser.add_argument(
        "--per-channel", type=int, default=52, help="communes per synthetic province channel"
    )
    parser.add_argument(
        "--items", type=int, default=3, help="released items per province channel that day"
    )
    parser.add_argument("--no-audio", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                "SECRET_KEY": SECRET,
                "INSTANCE_PATH": tmp,
                "PUBLIC_BASE_URL": "http://bench.test",
            }
        )
        with app.app_context():
            upgrade(app)
            seconds, (real, everyone) = timed(
                lambda: seed(args.communes, args.per_channel, args.items)
            )
            print(
                f"Seeded {len(everyone)} communes in {seconds:.1f} s: Lai Châu's 38 get 6 "
                f"items a day (with a Mông variant) plus {args.items}; every other commune "
                f"{args.items}, from channels of {args.per_channel} communes"
            )
            lai_chau(real, not args.no_audio)
            national(everyone)
            db.session.remove()
            db.engine.dispose()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Process peak RSS (everything above, Python and libraries): {peak_rss:.0f} MB")


if __name__ == "__main__":
    main()
