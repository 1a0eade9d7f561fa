"""``python -m bench [--quick] [--vcl PATH]``: start the stack, run every phase, write the report;
exit 1 when a target (or, quick, a gross-regression threshold) is missed."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

import bench
from bench import log
from bench.front import VCL_BACKEND_HOST, VCL_BACKEND_PORT
from bench.modes import FULL, QUICK
from bench.phases import PHASES
from bench.report import Report, verdicts, write
from bench.servers import ROOT
from bench.stack import ensure_tools, running_stack

DEFAULT_VCL = ROOT / "deploy" / "varnish" / "default.vcl"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=bench.__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--quick", action="store_true", help="small and short: for CI")
    parser.add_argument("--vcl", type=Path, default=DEFAULT_VCL, help="the VCL to run")
    args = parser.parse_args()
    mode = QUICK if args.quick else FULL
    # Debian puts varnishd and nginx in /usr/sbin, outside a user's PATH.
    os.environ["PATH"] = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    ensure_tools()
    args.vcl = args.vcl.resolve()
    if not args.vcl.exists():
        raise SystemExit(f"bench: no VCL at {args.vcl}")
    vcl = args.vcl.read_text()
    if len(VCL_BACKEND_PORT.findall(vcl)) != 1 or not VCL_BACKEND_HOST.search(vcl):
        raise SystemExit(f'bench: {args.vcl} must name its backend as "127.0.0.1", port "8000"')
    # A SIGTERM (CI's timeout) unwinds like Ctrl-C: every server started is stopped.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))

    started = time.monotonic()
    report = Report(
        when=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H%M%SZ"),
        kind="quick" if mode.quick else "full",
        machine=f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
        vcl=str(args.vcl.relative_to(ROOT) if args.vcl.is_relative_to(ROOT) else args.vcl),
        allies=mode.allies,
    )
    try:
        with running_stack(mode, vcl) as stack:
            for attribute, title, measure in PHASES:
                log(title)
                try:
                    setattr(report, attribute, measure(stack, mode))
                except Exception as error:  # noqa: BLE001 - the other phases still run
                    traceback.print_exc()
                    report.failures.append(f"{title}: {type(error).__name__}: {error}")
    except Exception as error:  # noqa: BLE001 - reported, and a failure
        traceback.print_exc()
        report.failures.append(f"setting up: {type(error).__name__}: {error}")
    report.seconds = round(time.monotonic() - started, 1)
    report.checks = verdicts(report, mode)

    print(write(report, mode))
    failed = [label for label, ok in report.checks if not ok]
    if failed:
        print(
            ("Gross regressions:\n  " if mode.quick else "Targets missed:\n  ")
            + "\n  ".join(failed)
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
