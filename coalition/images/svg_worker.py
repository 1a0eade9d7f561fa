"""Draws one SVG document (on standard input, already checked by ``coalition.images.svg``) into a
PNG (on standard output), in a process of its own.

A small SVG can still ask for hours of drawing (a few hundred blurs of the whole canvas) or for
gigabytes (``<use>`` of ``<use>`` of …); no check of the document foresees every such case, so
the drawing runs here, under limits of memory and processor time that the operating system
enforces, and the web process only waits for it, within a deadline. Runs without Django:
``python -I svg_worker.py '<options as JSON>'``.
"""

from __future__ import annotations

import json
import resource
import sys


def main() -> None:
    options = json.loads(sys.argv[1])
    memory, seconds = options.pop("memory_bytes"), options.pop("cpu_seconds")
    # Before the renderer is even imported: past these the system ends the process.
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
    import resvg_py

    document = sys.stdin.buffer.read().decode("utf-8")
    sys.stdout.buffer.write(bytes(resvg_py.svg_to_bytes(svg_string=document, **options)))


if __name__ == "__main__":
    main()
