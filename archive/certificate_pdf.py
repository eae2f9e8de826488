"""A platform certificate as a PDF (A4 landscape, reportlab), with a QR code (segno) that
encodes its verification URL.

The Chinese text is set in ``STSong-Light``, one of the standard CJK CID fonts of the PDF
specification (Adobe-GB1 character collection, ``UniGB-UCS2-H`` encoding), referenced and not
embedded. Why: every PDF reader that shows Chinese at all (Acrobat, pdf.js in the browsers,
PDFium in Chrome and WeChat's viewer, Preview, poppler with its CJK data) carries or maps a font
for that collection, so the text renders without our shipping a font file; no font licence
applies, since no font is distributed; the file stays a few kilobytes; and the text stays text
(searchable, copyable, readable by screen readers), which the tests read back. An embedded TTF
subset would need a CJK font file of several megabytes in the repository and its licence
checked; docs/certificates.md says how to switch if a reader without CJK support must be served.
"""

import io

import segno
from django.utils import timezone
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

FONT = "STSong-Light"
ACCENT = HexColor("#b71c1c")
INK = HexColor("#222222")
MUTED = HexColor("#666666")
QR_QUIET_MODULES = 4

pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """The QR code of ``data`` as vector squares, with its quiet zone, lower-left at (x, y)."""
    matrix = segno.make(data, error="m").matrix
    modules = len(matrix) + 2 * QR_QUIET_MODULES
    cell = size / modules
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + QR_QUIET_MODULES + 1) * cell
        for column_index, dark in enumerate(row):
            if dark:
                canvas.rect(x + (column_index + QR_QUIET_MODULES) * cell, top, cell, cell, stroke=0, fill=1)


def certificate_pdf(
    *,
    number: str,
    type_name: str,
    holder_name: str,
    course_title: str,
    occupation: str,
    level_name: str,
    hours: str,
    issued_at,
    verify_url: str,
    revoked: bool = False,
) -> bytes:
    """The PDF bytes. ``holder_name`` is the holder's full name: the PDF goes to the holder and
    to staff who may see them, never to the public."""
    buffer = io.BytesIO()
    width, height = landscape(A4)
    canvas = Canvas(buffer, pagesize=(width, height), pageCompression=1)
    canvas.setTitle(f"{type_name} {number}")
    canvas.setAuthor("淄博技能在线")
    canvas.setSubject(verify_url)

    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(3)
    canvas.rect(28, 28, width - 56, height - 56)
    canvas.setLineWidth(0.8)
    canvas.rect(36, 36, width - 72, height - 72)

    canvas.setFillColor(ACCENT)
    canvas.setFont(FONT, 34)
    canvas.drawCentredString(width / 2, height - 110, type_name)

    canvas.setFillColor(INK)
    canvas.setFont(FONT, 17)
    date_text = timezone.localtime(issued_at).strftime("%Y 年 %m 月 %d 日")
    lines = [
        f"{holder_name} 同志：",
        f"参加“{course_title}”职业技能培训，",
        f"职业（工种）：{occupation}　等级：{level_name}",
        f"培训学时：{hours} 小时，经考核合格，特发此证。",
    ]
    y = height - 180
    for line in lines:
        canvas.drawString(90, y, line)
        y -= 36

    canvas.setFont(FONT, 13)
    canvas.drawString(90, 120, f"证书编号：{number}")
    canvas.drawString(90, 98, f"发证日期：{date_text}")
    canvas.drawString(90, 76, "发证单位：淄博技能在线（淄博市职业技能提升行动）")

    qr_size = 130
    qr_x, qr_y = width - 90 - qr_size, 84
    _draw_qr(canvas, verify_url, qr_x, qr_y, qr_size)
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, 9)
    canvas.drawCentredString(qr_x + qr_size / 2, qr_y - 14, "扫码查验证书真伪")
    canvas.drawCentredString(qr_x + qr_size / 2, qr_y - 26, verify_url)

    if revoked:
        canvas.saveState()
        canvas.setFillColor(Color(0.72, 0.11, 0.11, alpha=0.35))
        canvas.setFont(FONT, 90)
        canvas.translate(width / 2, height / 2)
        canvas.rotate(20)
        canvas.drawCentredString(0, -30, "已撤销")
        canvas.restoreState()

    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def render(certificate, *, verify_url: str) -> bytes:
    """The PDF of a platform certificate (``archive.models.Certificate``, with its entry and
    holder), stamped 已撤销 once revoked. ``verify_url`` is the absolute URL of its public page,
    as the API names it to the same client (``verify_url`` of the certificate object)."""
    entry = certificate.entry
    return certificate_pdf(
        number=certificate.number,
        type_name=certificate.get_type_display(),
        holder_name=entry.learner.real_name,
        course_title=entry.course_title,
        occupation=f"{entry.occupation_code} {entry.occupation_name}",
        level_name=entry.get_level_display(),
        hours=f"{entry.required_hours:.2f}".rstrip("0").rstrip("."),
        issued_at=certificate.issued_at,
        verify_url=verify_url,
        revoked=certificate.revoked,
    )
