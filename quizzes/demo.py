"""Demo data: a small 养老护理员 question bank and a quiz for a quiz lesson. Idempotent."""

from django.db import transaction

from courses.models import Lesson, LessonKind, Occupation
from quizzes.models import Choice, Question, QuestionKind, Quiz, QuizQuestion
from vocabulary.training import Level

ELDERLY_CARE = "4-10-01-05"  # 养老护理员

S, M, TF = QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.TRUE_FALSE

# (kind, stem, [(choice, correct), ...] — for true/false just the answer, explanation, points)
QUESTIONS = [
    (
        S,
        "发现老年人在卫生间跌倒后，护理员首先应该怎么做？",
        [
            ("立即将老人扶起，送回床上休息", False),
            ("先判断意识、呼吸及疼痛部位，查看有无骨折、出血，不急于搬动", True),
            ("让老人自己试着站起来", False),
            ("先给老人喝杯温水压压惊", False),
        ],
        "老年人跌倒后可能发生骨折或颅内出血，贸然扶起会加重损伤。应先评估意识、呼吸、"
        "疼痛部位和肢体活动，必要时拨打120，在专业指导下搬运。",
        2,
    ),
    (
        TF,
        "老年人跌倒后虽然意识清醒、能自行活动，仍应询问跌倒经过，并在24小时内观察有无头痛、呕吐等异常。",
        True,
        "部分颅内损伤症状出现较晚，跌倒后的持续观察和记录必不可少，发现异常及时就医。",
        1,
    ),
    (
        S,
        "长期卧床的老年人预防压疮，一般每隔多长时间协助翻身一次？",
        [("30分钟", False), ("2小时", True), ("6小时", False), ("12小时", False)],
        "一般每2小时翻身一次，皮肤情况差或出现压红时应缩短间隔，并做好翻身记录。",
        1,
    ),
    (
        M,
        "下列哪些措施有助于预防压疮？",
        [
            ("保持床单位清洁、干燥、平整", True),
            ("定时翻身，避免局部长期受压", True),
            ("加强营养，保证蛋白质摄入", True),
            ("对受压发红的部位用力按摩", False),
        ],
        "受压发红说明局部已有损伤，用力按摩会加重组织损伤，应解除压力、观察变化。",
        2,
    ),
    (
        TF,
        "皮肤受压部位出现发红时，应立即用力按摩以促进血液循环。",
        False,
        "发红部位禁止按摩，应避免继续受压，30分钟后观察是否消退。",
        1,
    ),
    (
        S,
        "协助卧床老年人进食时，最适宜的体位是？",
        [
            ("平卧位", False),
            ("坐位或半卧位（床头抬高30°～50°）", True),
            ("俯卧位", False),
            ("头低脚高位", False),
        ],
        "坐位或半卧位可减少呛咳和误吸；不能坐起的老人可取侧卧位，头偏向一侧。",
        1,
    ),
    (
        M,
        "协助吞咽功能减退的老年人进食，正确的做法有哪些？",
        [
            ("选择糊状、软烂等易于吞咽的食物", True),
            ("每口量宜少，确认咽下后再喂下一口", True),
            ("为节省时间，催促老人加快进食速度", False),
            ("进食后保持坐位或半卧位30分钟左右", True),
        ],
        "吞咽功能减退者容易误吸，应小口慢喂、食物性状适宜，餐后不宜立即平卧。",
        2,
    ),
    (
        S,
        "老年人进食时突然剧烈呛咳、面色青紫、不能说话，最可能发生了什么？",
        [("食物过敏", False), ("噎食（气道异物梗阻）", True), ("心绞痛发作", False), ("低血糖", False)],
        "这是噎食的典型表现，应立即呼救并用海姆立克急救法清除异物，同时拨打120。",
        1,
    ),
    (
        TF,
        "喂食前应先试温，一般以前臂内侧皮肤感觉温热、不烫为宜。",
        True,
        "老年人口腔黏膜感觉减退，容易烫伤，喂食前试温是基本操作。",
        1,
    ),
]


def _question(occupation: Occupation, kind, stem, choices, explanation) -> Question:
    question = Question.objects.filter(occupation=occupation, stem=stem).first()
    if question is not None:
        return question
    question = Question(
        occupation=occupation, level=Level.FIVE, kind=kind, stem=stem, explanation=explanation
    )
    if kind == TF:
        question.true_false_choices_set(true_is_correct=choices)
    else:
        question.choices = [
            Choice(text=text, is_correct=correct, sort_order=i) for i, (text, correct) in enumerate(choices)
        ]
    question.full_clean()
    question.save()
    return question


@transaction.atomic
def seed_quizzes(lesson: Lesson) -> Quiz:
    """The 养老护理员 questions, and a quiz on ``lesson`` (kind quiz) with them: pass mark 60,
    3 attempts, 15 minutes. Running it again changes nothing."""
    if lesson.kind != LessonKind.QUIZ:
        raise ValueError(f"seed_quizzes needs a lesson of kind quiz, not {lesson.kind!r}")
    occupation = Occupation.objects.filter(code=ELDERLY_CARE).first() or lesson.course.occupation
    quiz = Quiz.objects.filter(lesson=lesson).first()
    if quiz is None:
        quiz = Quiz.objects.create(
            title="养老护理员安全照护测验（跌倒处置·压疮预防·协助进食）",
            lesson=lesson,
            pass_mark=60,
            max_attempts=3,
            shuffle_questions=True,
            shuffle_choices=True,
            time_limit_minutes=15,
        )
    for order, (kind, stem, choices, explanation, points) in enumerate(QUESTIONS):
        question = _question(occupation, kind, stem, choices, explanation)
        QuizQuestion.objects.get_or_create(
            quiz=quiz, question=question, defaults={"points": points, "sort_order": order}
        )
    return quiz
