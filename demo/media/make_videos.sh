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
# The other demo courses' own lessons (titles of at most 16 characters fit the 480 px card).
gen ceramics-1 210 0xa0522d "陶瓷成型 第1课 注浆成型与修坯"
gen ceramics-2 240 0x00695c "陶瓷施釉 第2课 浸釉与喷釉"
gen glass-1 240 0x0277bd "玻璃加工 第1课 切割与磨边"
gen glass-2 240 0x37474f "玻璃加工 第2课 钢化工艺与安全"
gen housekeeping-1 150 0xad1457 "家政服务 第1课 居家清洁"
gen housekeeping-2 180 0x5d4037 "家政服务 第2课 衣物洗涤与收纳"
gen cooking-1 180 0xc62828 "中式烹调 第1课 周村烧饼"
gen cooking-2 210 0xe65100 "中式烹调 第2课 博山酥锅"

# The demo audio lesson (a quiet 90 s tone) and the handbook PDF (3 pages rendered with Pillow
# and the same font; see git history of demo/media) were made the same day, also CC0.
ffmpeg -loglevel error -y -f lavfi -i "sine=frequency=330:duration=90" -af "volume=0.3" -ac 1 -ar 16000 \
  -c:a libmp3lame -b:a 16k care-audio.mp3
