"""Rows and actions the browser scenarios share: a webhook partner, a poster, delivery."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


def webhook_channel(app: Any, url: str, name: str = "Cổng thông tin đối tác") -> int:
    from publisher.db import db
    from publisher.delivery.channels import create_channel

    with app.app_context():
        channel = create_channel(
            db.session,
            kind="webhook",
            slug="cong-doi-tac",
            name=name,
            settings={"url": url, "secret": "receiver-secret-0123456789"},
            secret_key=app.config["SETTINGS"].SECRET_KEY,
        )
        db.session.commit()
        return channel.id


def poster_png(path: Path) -> Path:
    """A small red poster with a white drop, as a PNG file to upload."""
    image = Image.new("RGB", (600, 800), "#b91c1c")
    draw = ImageDraw.Draw(image)
    draw.ellipse((200, 320, 400, 560), fill="white")
    draw.polygon([(300, 180), (215, 400), (385, 400)], fill="white")
    image.save(path, "PNG")
    return path


def local_input(moment: datetime) -> str:
    """The value a person types into a datetime-local field (local time, minutes)."""
    return moment.astimezone(LOCAL).strftime("%Y-%m-%dT%H:%M")


def just_now() -> datetime:
    return datetime.now(LOCAL) - timedelta(minutes=1)
