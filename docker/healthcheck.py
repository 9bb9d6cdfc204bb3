"""The image's HEALTHCHECK, one script for every role (the entrypoint records which).

- web: the server answers ``/healthz`` (liveness; load balancers use ``/readyz``);
- worker, dispatch: the database and Redis answer, the same checks as ``/readyz``;
- migrate and one-off commands: nothing long-running to check.

Exit 0 when healthy, 1 otherwise, with the reason on stdout (``docker inspect`` shows it).
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from pathlib import Path


def current_role() -> str:
    path = Path(os.environ.get("TMPDIR", "/tmp")) / "publisher-role"  # noqa: S108
    try:
        return path.read_text(encoding="utf-8").strip() or "web"
    except OSError:
        return "web"


def check_web() -> tuple[bool, str]:
    url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            return response.status == 200, f"{url}: {response.status}"
    except (urllib.error.URLError, OSError) as exc:
        return False, f"{url}: {exc}"


def check_dependencies() -> tuple[bool, str]:
    from publisher import create_app

    app = create_app()
    response = app.test_client().get("/readyz")
    return response.status_code == 200, response.get_data(as_text=True).strip()


def main() -> int:
    role = current_role()
    if role == "web":
        healthy, reason = check_web()
    elif role in ("worker", "dispatch"):
        healthy, reason = check_dependencies()
    else:
        healthy, reason = True, f"{role}: nothing to check"
    print(reason)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
