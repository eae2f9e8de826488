"""Verification details the platform wrote used to hold both languages ("姓名与身份证号不一致。The
name does not match the ID number."); they are now stored in the source language and translated
where they are shown (learners.verification). Rewrite the stored ones to their Chinese part."""

from django.db import migrations

BILINGUAL = {
    "姓名与身份证号一致。The name matches the ID number.": "姓名与身份证号一致。",
    "姓名与身份证号不一致。The name does not match the ID number.": "姓名与身份证号不一致。",
    "身份证号校验不通过。The ID number fails its check.": "身份证号校验不通过。",
    "实名核验服务暂不可用，可到培训机构现场核验身份证。"
    "The real-name service is unavailable; identity can be confirmed in person at an institution.": (
        "实名核验服务暂不可用，可到培训机构现场核验身份证。"
    ),
    "未接入实名核验服务，请到培训机构现场核验身份证。"
    "No real-name service: identity is confirmed in person at an institution.": (
        "未接入实名核验服务，请到培训机构现场核验身份证。"
    ),
    "培训机构工作人员现场核验身份证。Confirmed in person by institution staff.": "培训机构工作人员现场核验身份证。",
}


def one_language(apps, schema_editor):
    Learner = apps.get_model("learners", "Learner")
    for bilingual, chinese in BILINGUAL.items():
        Learner.objects.filter(verification_detail=bilingual).update(verification_detail=chinese)


class Migration(migrations.Migration):
    dependencies = [("learners", "0004_chinese_labels")]

    operations = [migrations.RunPython(one_language, migrations.RunPython.noop)]
