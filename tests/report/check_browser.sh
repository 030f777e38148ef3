#!/bin/sh
# The report in a real browser: headless Chromium renders a test recording's
# report to PNG and dumps the rendered DOM. The PNG must not be blank (many
# colours, a good share of non-white pixels) and the DOM must hold the
# charts' SVG paths, the peak and the phase bands.
#
#   check_browser.sh STORMLOG_INSPECT REPORT_FIXTURE WORK_DIR
#
# Exit 77 (skipped) when chromium or python3 is absent, with the reason.
set -eu
inspect=$1
fixture=$2
work=$3

browser=""
for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then
        browser=$(command -v "$candidate")
        break
    fi
done
if [ -z "$browser" ]; then
    echo "SKIP: no chromium on PATH (Debian package: chromium)"
    exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP: python3 is needed to read the PNG"
    exit 77
fi

rm -rf "$work"
mkdir -p "$work"
"$fixture" single "$work/rec" 30 8 >/dev/null
"$inspect" report "$work/rec" -o "$work/report.html"

# Chromium wants a writable home and no sandbox when run as root in CI.
export HOME="$work/home"
mkdir -p "$HOME"
flags="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars --no-first-run
       --user-data-dir=$work/profile --window-size=1100,1400"
# shellcheck disable=SC2086
timeout 120 "$browser" $flags --screenshot="$work/report.png" "file://$work/report.html" >"$work/chromium.log" 2>&1 || {
    echo "chromium failed to render:"
    cat "$work/chromium.log"
    exit 1
}
# shellcheck disable=SC2086
timeout 120 "$browser" $flags --dump-dom "file://$work/report.html" >"$work/dom.html" 2>>"$work/chromium.log" || {
    echo "chromium failed to dump the DOM:"
    cat "$work/chromium.log"
    exit 1
}

python3 - "$work/report.png" "$work/dom.html" <<'EOF'
import struct, sys, zlib

png_path, dom_path = sys.argv[1], sys.argv[2]
data = open(png_path, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, chunks = 8, []
width = height = None
idat = b""
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and colour in (2, 6), f"unexpected PNG format depth={depth} colour={colour}"
        channels = 3 if colour == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + length
raw = zlib.decompress(idat)
stride = width * channels
rows, prev = [], bytearray(stride)
i = 0
for _ in range(height):
    ftype = raw[i]
    line = bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    for x in range(stride):
        a = line[x - channels] if x >= channels else 0
        b = prev[x]
        c = prev[x - channels] if x >= channels else 0
        if ftype == 1:
            line[x] = (line[x] + a) & 255
        elif ftype == 2:
            line[x] = (line[x] + b) & 255
        elif ftype == 3:
            line[x] = (line[x] + (a + b) // 2) & 255
        elif ftype == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line)
    prev = line
colours, non_white, blue = set(), 0, 0
for line in rows[::2]:
    for x in range(0, stride, channels * 2):
        r, g, b = line[x], line[x + 1], line[x + 2]
        colours.add((r, g, b))
        if (r, g, b) != (255, 255, 255):
            non_white += 1
        if b > 180 and r < 120 and g < 160:
            blue += 1
sampled = (height // 2 + height % 2) * len(range(0, stride, channels * 2))
share = non_white / sampled
print(f"PNG {width}x{height}: {len(colours)} colours, {share:.1%} non-white, {blue} blue samples")
assert len(colours) > 20, "the page rendered blank or flat"
assert share > 0.03, "almost nothing was drawn"
assert blue > 50, "the allocated curve (blue) is not visible"

dom = open(dom_path, encoding="utf-8", errors="replace").read()
for needle in ('<svg class="chart"', '<path class="alloc"', '<path class="alloc-area"', '<path class="reserved"',
               '<g class="peak">', '<g class="phase">', '<g class="oom'):
    assert needle in dom, f"the rendered DOM lacks {needle}"
assert dom.count('<path class="alloc" d="M') == 2, "two device charts with a drawn path"
print("rendered DOM holds the chart paths, the peak, the phases and the OOM marker")
EOF
