"""Demo data: a sample roster with five real-looking (but invented) Zibo learners."""

from rosters.export import roster_xlsx
from vocabulary.identity import id_check_char

# (name, first 17 digits of the ID number, phone, district, target group, employer)
_SAMPLE = (
    ("王秀英", "37030219850312452", "13905331201", "张店区", "企业职工", "山东淄博某陶瓷有限公司"),
    ("刘建国", "37030419790627131", "13853301862", "博山区", "农村转移就业劳动者", ""),
    ("陈丽", "37030319920115262", "15165302273", "淄川区", "失业人员", ""),
    ("孙浩", "37030520011108091", "18653381394", "临淄区", "高校学生", "山东理工大学"),
    ("赵桂兰", "37032119680905322", "13953309415", "桓台县", "企业职工", "桓台县某化工有限公司"),
)


def sample_rows() -> list[list]:
    return [
        [name, first17 + id_check_char(first17), phone, district, group, employer]
        for name, first17, phone, district, group, employer in _SAMPLE
    ]


def sample_roster_xlsx() -> bytes:
    """The roster template filled with five sample rows (valid ID check characters)."""
    return roster_xlsx(sample_rows())
