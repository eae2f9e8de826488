"""The bureau's upload of the task table or the employment base (``reports.services``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.services import import_limits


class TableImportForm(forms.Form):
    """One spreadsheet (.xlsx or CSV). ``content`` is its bytes once the form is valid; a file
    over the size limit is a form error (the page answers 413 for ``too_large``)."""

    file = forms.FileField(
        label=_("Excel 表格"),
        help_text=_("Excel（.xlsx）或 CSV（UTF-8/GBK），按模板的列填写；任一行有错则整表不导入。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        max_bytes, _rows = import_limits()
        if upload.size > max_bytes:
            raise forms.ValidationError(
                _("文件过大（上限 %(kb)s KB），请分批导入。"),
                code="too_large",
                params={"kb": max_bytes // 1024},
            )
        self.content = upload.read(max_bytes + 1)
        return upload
