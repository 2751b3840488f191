"""What the kiosk app loads before its first frame: never the sync layer (kiosk never talks to
the network), and the PDF and QR libraries only when a slip or a QR code is made (issue 4)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LATER = ("fpdf", "fontTools", "segno", "sync", "requests", "urllib3", "zeroconf", "serial")


def loaded_after(code: str, kivy_home: Path) -> list[str]:
    probe = (
        f"import json, sys\n{code}\n"
        f"later = {LATER!r}\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & set(later))))"
    )
    env = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_HOME": str(kivy_home)}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    found: list[str] = json.loads(done.stdout.splitlines()[-1])
    return found


def test_the_app_and_its_first_screens_load_no_pdf_qr_or_network(
    display: None, tmp_path: Path
) -> None:
    assert loaded_after("import kiosk.launch, kiosk.app", tmp_path) == []


def test_a_slip_and_a_qr_code_load_their_libraries(display: None, tmp_path: Path) -> None:
    # The guard above only means something if the probe sees these libraries once they load.
    slip = (
        "import kiosk.app\n"
        "from content.booking import Slip\n"
        "from kiosk import slip\n"
        "fields = dict.fromkeys(Slip.__dataclass_fields__, '')\n"
        "fields.update(state='confirmed', code='KM4T-7QXA')\n"
        "labels = {key: key for key in slip.LABEL_KEYS} | {'slip.by_phone': '{phone}'}\n"
        "assert slip.render_pdf(Slip(**fields), labels).startswith(b'%PDF')"
    )
    assert {"fpdf", "segno"} <= set(loaded_after(slip, tmp_path))
