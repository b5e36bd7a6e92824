"""Export then import gives equal questions, in every format, for every question type."""

from decimal import Decimal

import pytest

from tests.training.factories import CategoryFactory, make_question
from training.imports import export_questions, import_questions, to_parsed
from training.models import Choice, Question

FORMATS = ["moodle_xml", "gift", "csv"]


def _bank(tenant):
    telecom = CategoryFactory(tenant=tenant, name="Telecom/Billing")
    common = CategoryFactory(tenant=tenant, name="通用 Common")
    make_question(
        telecom,
        "single",
        name="Roaming 漫游",
        text="客户出国前应开通什么? What must a customer enable before travelling abroad?\n"
        "Special: { } = ~ # : \\ and %50%",
        points="2",
        explanation="国际漫游 International roaming.",
        choices=[("国际漫游 Roaming", 1), ("Call waiting: {x}", 0), ("~half = right~", "0.5")],
    )
    make_question(
        telecom,
        "multiple",
        name="Primes",
        text="Which are prime?",
        partial_credit=True,
        choices=[("2", "0.5"), ("3", "0.5"), ("4", -1), ("1/3", "0.33333")],
    )
    make_question(
        common,
        "multiple",
        name="All or nothing",
        text="Pick both greetings",
        partial_credit=False,
        choices=[("您好 Hello", 1), ("Good morning", 1), ("Go away", 0)],
    )
    make_question(
        common,
        "truefalse",
        text="可以把客户密码告诉同事。 You may share a customer's password with a colleague.",
        choices=[("True", 0), ("False", 1)],
    )
    make_question(
        common, "short", text="Country code of China?", choices=[("+86", 1), ("86*", "0.5")]
    )
    make_question(
        common,
        "numeric",
        text="How many seconds in 1.5 minutes?",
        numeric_answer=Decimal("90"),
        tolerance=Decimal("0.5"),
        points="1.5",
    )
    q = Question.objects.filter(tenant=tenant, qtype="single").first()
    Choice.objects.filter(question=q, position=0).update(feedback="对 Right: well done")
    return Question.objects.filter(tenant=tenant)


def _keys(questions):
    rows = Question.objects.filter(pk__in=[q.pk for q in questions]).order_by(
        "category__name", "pk"
    )
    return [to_parsed(q).key() for q in rows.select_related("category")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_then_import_gives_equal_questions(fmt, world):
    bank = list(_bank(world.tenant))
    before = _keys(bank)
    data = export_questions(tenant=world.tenant, questions=bank, fmt=fmt)
    result = import_questions(
        tenant=world.other_tenant, data=data, fmt=fmt, category_name=None, actor=None
    )
    assert result.created == len(bank)
    assert sorted(result.categories) == ["Telecom/Billing", "通用 Common"]
    imported = list(Question.objects.filter(tenant=world.other_tenant))
    assert _keys(imported) == before
    # Choices belong to the importing tenant too.
    assert not Choice.objects.filter(question__in=imported).exclude(tenant=world.other_tenant)


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_leaves_out_other_tenants_questions(fmt, world):
    bank = list(_bank(world.tenant))
    data = export_questions(tenant=world.other_tenant, questions=bank, fmt=fmt)
    assert "Roaming" not in data.decode("utf-8")


def test_category_name_given_receives_every_question(world):
    bank = list(_bank(world.tenant))
    data = export_questions(tenant=world.tenant, questions=bank, fmt="gift")
    result = import_questions(
        tenant=world.tenant, data=data, fmt="gift", category_name="Week 1", actor=world.trainer
    )
    assert result.categories == ["Week 1"]
    assert Question.objects.filter(category__name="Week 1").count() == len(bank)


def test_gift_features_parse_into_the_bank(world):
    data = """// A comment line is ignored
$CATEGORY: $course$/top/GIFT demo

::Title 标题::[html]<p>Which is <b>right</b>?</p> {
  =yes # 对
  ~no # 错
  ####Because.
}

::Weights:: Pick {~%50%a ~%50%b ~%-100%c}

::TF:: 天是蓝的 The sky is blue {TRUE#wrong fb#right fb}

::Short:: Say hello {=hello =hi* =%50%hey}

::Num:: Pi? {#3.14:0.01}

::Range:: Between 1 and 5 {#1..5}

::Multi num:: Ten {#=10:0 ~%0%11#close}

::Escapes:: a \\{b\\} \\= \\~ \\# \\: c {=x\\=y ~z}

Fill the gap: 2 + {=2} = 4
""".encode()
    result = import_questions(
        tenant=world.tenant, data=data, fmt="gift", category_name=None, actor=None
    )
    assert result.created == 9
    q = {x.name: x for x in Question.objects.filter(tenant=world.tenant)}
    assert q["Title 标题"].text == "Which is right?"
    assert q["Title 标题"].explanation == "Because."
    assert q["Title 标题"].category.name == "GIFT demo"
    assert [(c.text, c.feedback) for c in q["Title 标题"].choices.all()] == [
        ("yes", "对"),
        ("no", "错"),
    ]
    assert q["Weights"].qtype == "multiple" and q["Weights"].partial_credit
    assert [c.fraction for c in q["Weights"].choices.all()] == [
        Decimal("0.5"),
        Decimal("0.5"),
        Decimal("-1"),
    ]
    tf = {c.text: (c.fraction, c.feedback) for c in q["TF"].choices.all()}
    assert tf == {"True": (1, "right fb"), "False": (0, "wrong fb")}
    assert [(c.text, c.fraction) for c in q["Short"].choices.all()] == [
        ("hello", 1),
        ("hi*", 1),
        ("hey", Decimal("0.5")),
    ]
    assert (q["Num"].numeric_answer, q["Num"].tolerance) == (Decimal("3.14"), Decimal("0.01"))
    assert (q["Range"].numeric_answer, q["Range"].tolerance) == (3, 2)
    assert q["Multi num"].numeric_answer == 10
    assert q["Escapes"].text == "a {b} = ~ # : c"
    assert [c.text for c in q["Escapes"].choices.all()] == ["x=y", "z"]
    gap = Question.objects.get(tenant=world.tenant, name="")
    assert gap.text == "Fill the gap: 2 + _____ = 4" and gap.qtype == "short"


def test_moodle_xml_html_text_is_stored_as_plain_text(world):
    data = b"""<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/XML demo</text></category></question>
  <question type="multichoice">
    <name><text>HTML</text></name>
    <questiontext format="html"><text><![CDATA[<p>Line &amp; one</p><p>Line<br>two</p>]]></text>
    </questiontext>
    <generalfeedback format="html"><text>&lt;b&gt;Why&lt;/b&gt;</text></generalfeedback>
    <defaultgrade>3</defaultgrade>
    <single>false</single>
    <answer fraction="50" format="html"><text>&lt;p&gt;A&lt;/p&gt;</text></answer>
    <answer fraction="50"><text>B</text></answer>
    <answer fraction="-100"><text>C</text></answer>
  </question>
  <question type="truefalse">
    <name><text>TF</text></name>
    <questiontext format="plain_text"><text>Plain &lt;not a tag&gt;</text></questiontext>
    <answer fraction="0"><text>true</text></answer>
    <answer fraction="100"><text>false</text></answer>
  </question>
  <question type="numerical">
    <name><text>Num</text></name>
    <questiontext><text>Seven?</text></questiontext>
    <answer fraction="100"><text>7</text><tolerance>0.25</tolerance></answer>
    <answer fraction="0"><text>*</text></answer>
  </question>
</quiz>"""
    import_questions(
        tenant=world.tenant, data=data, fmt="moodle_xml", category_name=None, actor=None
    )
    q = {x.name: x for x in Question.objects.filter(tenant=world.tenant)}
    assert q["HTML"].text == "Line & one\n\nLine\ntwo"
    assert q["HTML"].explanation == "Why"
    assert q["HTML"].points == 3 and q["HTML"].qtype == "multiple" and q["HTML"].partial_credit
    assert [c.text for c in q["HTML"].choices.all()] == ["A", "B", "C"]
    assert q["HTML"].category.name == "XML demo"
    assert q["TF"].text == "Plain <not a tag>"
    assert {c.text: c.fraction for c in q["TF"].choices.all()} == {"True": 0, "False": 1}
    assert (q["Num"].numeric_answer, q["Num"].tolerance) == (7, Decimal("0.25"))


def test_csv_with_byte_order_mark_imports(world):
    data = (
        "\ufeffcategory,type,name,text,points,explanation,partial_credit,answer,tolerance,"
        "choice_1,percent_1,feedback_1,choice_2,percent_2,feedback_2\r\n"
        'Billing,single,Q,"Multi\nline 多行",2,,no,,,Yes,100,,No,0,\r\n'
        "Billing,truefalse,TF,Sky is blue,,,,true,,,,,,,\r\n"
        "Billing,numeric,N,Ten?,,,,10,0.5,,,,,,\r\n"
    ).encode()
    result = import_questions(
        tenant=world.tenant, data=data, fmt="csv", category_name=None, actor=None
    )
    assert result.created == 3
    q = {x.name: x for x in Question.objects.filter(tenant=world.tenant)}
    assert q["Q"].text == "Multi\nline 多行" and q["Q"].points == 2
    assert {c.text: c.fraction for c in q["TF"].choices.all()} == {"True": 1, "False": 0}
    assert q["N"].numeric_answer == 10 and q["N"].tolerance == Decimal("0.5")


def test_gift_with_byte_order_mark_and_windows_line_ends_imports(world):
    data = "\ufeff// Windows\r\n::A:: 第一 First {\r\n=yes\r\n~no\r\n}\r\n\r\n::B:: Two {T}\r\n"
    result = import_questions(
        tenant=world.tenant, data=data.encode(), fmt="gift", category_name=None, actor=None
    )
    assert result.created == 2
    assert list(Question.objects.order_by("pk").values_list("text", flat=True)) == [
        "第一 First",
        "Two",
    ]


def test_export_in_several_chunks_keeps_every_question_in_order(world, monkeypatch):
    from training import imports

    monkeypatch.setattr(imports, "EXPORT_CHUNK", 2)
    bank = list(_bank(world.tenant))
    data = export_questions(tenant=world.tenant, questions=Question.objects.all(), fmt="csv")
    import_questions(
        tenant=world.other_tenant, data=data, fmt="csv", category_name=None, actor=None
    )
    assert _keys(Question.objects.filter(tenant=world.other_tenant)) == _keys(bank)
