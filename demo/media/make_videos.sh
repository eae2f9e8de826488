#!/usr/bin/env bash
# How the demo videos were made (with Debian's ffmpeg and fonts-wqy-zenhei). They are our own
# work, dedicated to the public domain (CC0): a coloured card, a title and a running clock,
# 2 frames a second, so each is a few hundred KB. The seed copies them to the media storage.
set -euo pipefail
FONT=/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
gen() { # name seconds colour title
  ffmpeg -loglevel error -y -f lavfi -i "color=c=$3:s=480x270:r=2:d=$2" \
    -vf "drawtext=fontfile=$FONT:text='$4':fontcolor=white:fontsize=26:x=(w-tw)/2:y=90,drawtext=fontfile=$FONT:text='%{eif\:t/60\:d}\:%{eif\:mod(t\,60)\:d\:2}':fontcolor=white:fontsize=40:x=(w-tw)/2:y=150" \
    -c:v libx264 -preset veryslow -crf 35 -pix_fmt yuv420p -g 20 -movflags +faststart "$1.mp4"
}
gen safety-1 330 0x1f4e79 "化工安全 第1课 危险化学品识别"
gen safety-2 360 0x2e7d32 "化工安全 第2课 应急处置"
gen care-1 120 0x6a1b9a "养老护理 第1课 生活照料"
gen care-2 150 0x8d6e63 "养老护理 第2课 安全防护"

# The demo audio lesson (a quiet 90 s tone) and the handbook PDF (3 pages rendered with Pillow
# and the same font; see git history of demo/media) were made the same day, also CC0.
ffmpeg -loglevel error -y -f lavfi -i "sine=frequency=330:duration=90" -af "volume=0.3" -ac 1 -ar 16000 \
  -c:a libmp3lame -b:a 16k care-audio.mp3
