"""Demo training content: three industries (telecom 电信, e-commerce 电商, finance 金融) and the
common cross-industry curricula, bilingual lessons, the GIFT question bank of
``training/demo_data``, quizzes, assignments with due dates and agents at different stages.
Idempotent: everything is looked up by natural keys first; built through the services."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from django.utils import timezone

from .attempts import save_answer, start_attempt, submit_attempt
from .grading import correct_response
from .imports import import_questions
from .models import (
    Attempt,
    Curriculum,
    Industry,
    Lesson,
    QuestionCategory,
    Quiz,
    QuizRandomRule,
)
from .services import complete_lesson, enroll_agents, enroll_team, publish_curriculum

DEMO_DATA = Path(__file__).resolve().parent / "demo_data"

INDUSTRIES = {
    "telecom": "电信 Telecom",
    "ecommerce": "电商 E-commerce",
    "finance": "金融 Finance",
}

A = Lesson.Kind.ARTICLE

# code: (industry, title, description, category, questions drawn, pass mark, lessons)
# lessons: (title, minutes, body[, kind])
CURRICULA = {
    "common-etiquette": (
        None,
        "服务礼仪 Service etiquette",
        "每一通电话的开场、倾听与结束。 Opening, listening and closing every call.",
        "通用 服务礼仪 Service etiquette",
        4,
        75,
        [
            (
                "标准开场白 The standard greeting",
                5,
                "## 三步开场 Three steps\n\n"
                "1. **问候** Greet: “您好，港湾客服，我是工号 1001 的李娜。” "
                "*Hello, Harbour support, this is Li Na, agent 1001.*\n"
                "2. **核实** Verify: 先确认客户身份，再谈账户。 Confirm who you are talking to "
                "before discussing any account.\n"
                "3. **邀请** Invite: “请问有什么可以帮您？” *How can I help you today?*\n\n"
                "> 语速平稳，面带微笑说话，客户听得出来。 Speak steadily and smile: "
                "customers can hear it.",
            ),
            (
                "积极倾听 Active listening",
                6,
                "- 不打断客户，记录关键信息。 Do not interrupt; note the key facts.\n"
                "- 用自己的话复述问题：“您是说……对吗？” Paraphrase: *So you mean …, "
                "is that right?*\n"
                "- 表达共情，但不轻易承诺。 Show empathy without promising what you cannot "
                "deliver.",
            ),
            (
                "礼貌结束通话 Closing the call",
                4,
                "确认问题已解决，告知后续步骤和时限，感谢客户并邀请评价。 Confirm the issue is "
                "solved, state the next steps and their timing, thank the customer and invite "
                "feedback. 让客户先挂机。 Let the customer hang up first.",
            ),
            (
                "常用礼貌用语 Polite phrases",
                3,
                "| 场景 Situation | 用语 Phrase |\n|---|---|\n"
                "| 请客户等待 Hold | 请您稍等，我马上为您查询。 "
                "One moment please, I am checking. |\n"
                "| 回到通话 Back | 感谢您的耐心等待。 Thank you for waiting. |\n"
                "| 无法办理 Cannot do | 非常抱歉，这项业务需要…… I am sorry, this needs … |",
                A,
            ),
        ],
    ),
    "common-complaints": (
        None,
        "投诉处理 Complaint handling",
        "把投诉变成信任：LEARN 五步法。 Turning complaints into trust with the LEARN steps.",
        "通用 投诉处理 Complaint handling",
        4,
        75,
        [
            (
                "LEARN 五步法 The LEARN method",
                8,
                "**L**isten 倾听 · **E**mpathise 共情 · **A**pologise 致歉 · "
                "**R**esolve 解决 · **N**otify 告知\n\n"
                "先处理情绪，再处理事情。 Deal with the feelings first, then with the facts.",
            ),
            (
                "升级与回访 Escalation and call-back",
                6,
                "超出权限的诉求要在 **24 小时内**升级给班组长，并告知客户回访时间。 Requests "
                "beyond your authority go to the team lead **within 24 hours**; tell the "
                "customer when you will call back. 回访时先复述上次的问题。 On the call-back, "
                "start by restating the problem.",
            ),
            (
                "投诉记录模板 Complaint record template",
                3,
                "记录：时间、客户诉求、已采取措施、承诺事项、回访时间。 Record: time, the "
                "customer's request, actions taken, promises made, call-back time.",
                A,
            ),
        ],
    ),
    "common-data-protection": (
        None,
        "数据保护 Data protection",
        "依据《个人信息保护法》处理客户信息。 Handling customer data under the PIPL.",
        "通用 数据保护 Data protection",
        4,
        80,
        [
            (
                "最小必要原则 Data minimisation",
                6,
                "只收集和查看完成业务所必需的信息。 Collect and look at only what the task "
                "needs. 不要在通话中完整朗读身份证号或银行卡号。 Never read a full ID or card "
                "number aloud.",
            ),
            (
                "身份核验 Identity verification",
                5,
                "至少核对两项信息（如姓名 + 预留手机号后四位）后才可透露账户信息。 Check at "
                "least two facts (e.g. name and the last four digits of the registered phone) "
                "before disclosing account details.",
            ),
            (
                "信息泄露怎么办 If data leaks",
                4,
                "立即报告信息安全负责人，不要自行联系第三方。 Report to the information "
                "security officer at once; do not contact third parties yourself.",
                A,
            ),
        ],
    ),
    "telecom-basics": (
        "telecom",
        "电信业务基础 Telecom service basics",
        "套餐、漫游、携号转网和账单。 Plans, roaming, number portability and bills.",
        "电信 Telecom",
        8,
        70,
        [
            (
                "套餐与流量 Plans and data",
                8,
                "讲清套餐内外资费：超出套餐的流量按 **元/GB** 计费。 Explain in-plan and "
                "out-of-plan rates: data beyond the plan is billed **per GB**.",
            ),
            (
                "国际漫游 International roaming",
                6,
                "出境前开通漫游，并提醒客户日包资费。 Enable roaming before travel and explain "
                "the daily pass price.",
            ),
            (
                "携号转网 Number portability",
                7,
                "条件：无欠费、号码状态正常、已获取授权码。 Conditions: no balance owed, the "
                "number is active, the authorisation code is obtained.",
            ),
            (
                "账单异常排查 Investigating bill spikes",
                5,
                "先查详单，再判断是否为增值业务或漫游产生。 Check the itemised bill first, then "
                "see whether value-added services or roaming caused it.",
                A,
            ),
        ],
    ),
    "ecommerce-basics": (
        "ecommerce",
        "电商售后基础 E-commerce after-sales",
        "退换货、物流和支付问题。 Returns, delivery and payment issues.",
        "电商 E-commerce",
        8,
        70,
        [
            (
                "七天无理由退货 Seven-day returns",
                6,
                "签收后 **7 天内**，商品完好即可无理由退货；定制商品除外。 Within **7 days** of "
                "delivery, undamaged goods may be returned without a reason; custom-made goods "
                "are excluded.",
            ),
            (
                "物流异常 Delivery problems",
                6,
                "超过承诺时效先查物流轨迹，再联系承运商。 When delivery is late, check the "
                "tracking first, then contact the carrier.",
            ),
            (
                "退款时效 Refund times",
                4,
                "原路退回：支付宝/微信 1–3 个工作日，银行卡 3–7 个工作日。 Refunds go back the "
                "way they came: Alipay/WeChat 1–3 working days, bank cards 3–7.",
                A,
            ),
        ],
    ),
    "finance-basics": (
        "finance",
        "金融客服基础 Finance customer service",
        "账户安全、反诈骗与合规话术。 Account security, fraud prevention and compliant wording.",
        "金融 Finance",
        8,
        80,
        [
            (
                "反诈骗提示 Fraud warnings",
                7,
                "银行不会索要短信验证码或密码。 The bank never asks for one-time codes or "
                "passwords. 发现可疑转账，立即建议客户冻结账户。 On a suspicious transfer, advise "
                "freezing the account at once.",
            ),
            (
                "合规话术 Compliant wording",
                6,
                "不得承诺收益，须提示“理财有风险，投资需谨慎”。 Never promise returns; always "
                "say *investments carry risk*.",
            ),
            (
                "挂失流程 Reporting a lost card",
                4,
                "核验身份 → 临时挂失 → 告知补卡网点。 Verify identity → temporary block → tell "
                "the customer where to get a new card.",
                A,
            ),
        ],
    ),
}

BANK_FILES = ["common", "telecom", "ecommerce", "finance"]


def _import_bank(tenant) -> None:
    for name in BANK_FILES:
        data = (DEMO_DATA / f"{name}.gift").read_bytes()
        if name == "common":
            probe = "通用 服务礼仪 Service etiquette"
        else:
            probe = next(v for k, v in INDUSTRIES.items() if k == name)
        if QuestionCategory.objects.for_tenant(tenant).filter(name=probe).exists():
            continue
        import_questions(tenant=tenant, data=data, fmt="gift", category_name=None, actor=None)


def _curriculum(tenant, industries, code, spec) -> tuple[Curriculum, Quiz]:
    industry_key, title, description, category_name, draw, pass_mark, lessons = spec
    curriculum = (
        Curriculum.objects.for_tenant(tenant).filter(code=code).order_by("-version").first()
    )
    if curriculum is None:
        curriculum = Curriculum.objects.create(
            tenant=tenant,
            industry=industries.get(industry_key),
            code=code,
            title=title,
            description=description,
            estimated_minutes=sum(lesson[1] for lesson in lessons) + 15,
        )
        Lesson.objects.bulk_create(
            [
                Lesson(
                    tenant=tenant,
                    curriculum=curriculum,
                    position=i,
                    title=lesson[0],
                    estimated_minutes=lesson[1],
                    body=lesson[2],
                    kind=lesson[3] if len(lesson) > 3 else Lesson.Kind.LESSON,
                )
                for i, lesson in enumerate(lessons)
            ]
        )
    quiz, created = Quiz.objects.get_or_create(
        tenant=tenant,
        curriculum=curriculum,
        defaults={
            "title": f"{title} · 测验 Quiz",
            "instructions": "独立完成，答案会自动保存。 Work alone; answers save automatically.",
            "pass_mark_percent": pass_mark,
            "time_limit_minutes": 20,
            "max_attempts": 3,
            "cooldown_minutes": 5,
            "one_per_page": industry_key is not None,
            "review_policy": Quiz.Review.EXPLANATIONS,
        },
    )
    if created:
        category = QuestionCategory.objects.for_tenant(tenant).get(name=category_name)
        available = category.questions.count()
        QuizRandomRule.objects.create(
            tenant=tenant, quiz=quiz, category=category, count=min(draw, available)
        )
    if curriculum.status == Curriculum.Status.DRAFT:
        curriculum = publish_curriculum(curriculum=curriculum)
    return curriculum, quiz


# The two helpers below are the only way demo data records training activity (the certification
# demo builds its backdated past with them too): through the services, never by writing rows.


def study(
    membership, curriculum, *, lessons: int | None = None, at: datetime | None = None
) -> datetime | None:
    """Complete the curriculum's first ``lessons`` lessons (all if None), in order. ``at``
    backdates the study: reading starts then and each lesson is completed its estimated minutes
    after the previous one. Returns when the last one was completed (None without ``at``).
    Lessons already completed keep their first completion."""
    items = list(curriculum.lessons.filter(kind=Lesson.Kind.LESSON).order_by("position"))
    when = at
    for lesson in items[: len(items) if lessons is None else lessons]:
        if when is not None:
            when += timedelta(minutes=lesson.estimated_minutes)
        complete_lesson(membership=membership, lesson=lesson, now=when)
    return when


def sit(
    membership,
    quiz,
    *,
    right: int | None = None,
    finish: bool = True,
    seed: int = 0,
    at: datetime | None = None,
    minutes: int = 14,
) -> Attempt | None:
    """Start a sitting and answer the first ``right`` questions correctly (all if None), the
    rest wrongly; hand it in unless ``finish`` is False. Skipped (None) if the agent has sat the
    quiz already. ``at`` backdates the sitting: started then, answers saved one by one and
    handed in ``minutes`` later (keep it inside the quiz's time limit)."""
    if (
        Attempt.objects.for_tenant(membership.tenant_id)
        .filter(membership=membership, quiz=quiz)
        .exists()
    ):
        return None
    attempt = start_attempt(quiz=quiz, membership=membership, rng=random.Random(seed), now=at)
    step = timedelta(minutes=minutes) / (len(attempt.dealt) + 1)
    for i, item in enumerate(attempt.dealt):
        good = right is None or i < right
        response = correct_response(item) if good else _wrong(item)
        if response:
            save_answer(
                attempt=attempt,
                membership=membership,
                question_id=item["id"],
                response=response,
                now=None if at is None else at + step * (i + 1),
            )
    if finish:
        attempt = submit_attempt(
            attempt=attempt,
            membership=membership,
            now=None if at is None else at + timedelta(minutes=minutes),
        )
    return attempt


def _wrong(item: dict) -> dict:
    if item["type"] in ("single", "truefalse"):
        bad = [c for c in item["choices"] if float(c["fraction"]) <= 0]
        return {"choice": bad[0]["id"]} if bad else {}
    if item["type"] == "multiple":
        return {"choices": [item["choices"][-1]["id"]]} if item["choices"] else {}
    if item["type"] == "numeric":
        return {"value": "-1"}
    return {"text": "不知道 no idea"}


def seed(ctx) -> None:
    tenant, people, teams = ctx.tenant, ctx.people, ctx.teams
    industries = {
        code: Industry.objects.get_or_create(tenant=tenant, code=code, defaults={"name": name})[0]
        for code, name in INDUSTRIES.items()
    }
    _import_bank(tenant)
    built = {code: _curriculum(tenant, industries, code, spec) for code, spec in CURRICULA.items()}
    curricula = {code: c for code, (c, _q) in built.items()}
    quizzes = {code: q for code, (_c, q) in built.items()}
    common = [
        curricula[c] for c in ("common-etiquette", "common-complaints", "common-data-protection")
    ]
    now = timezone.now()
    lead_blue, lead_green = people["lead.blue"], people["lead.green"]
    enroll_team(
        tenant=tenant,
        curricula=[*common, curricula["telecom-basics"]],
        team=teams["blue"],
        assigned_by=lead_blue,
        due_at=now + timedelta(days=14),
    )
    enroll_team(
        tenant=tenant,
        curricula=[*common, curricula["ecommerce-basics"]],
        team=teams["green"],
        assigned_by=lead_green,
        due_at=now + timedelta(days=21),
    )
    enroll_agents(
        tenant=tenant,
        curricula=[curricula["finance-basics"]],
        memberships=[people["agent01"], people["agent06"]],
        assigned_by=people["trainer"],
        due_at=None,
    )
    # agent04 is late with service etiquette: assigned with a due date already past.
    enroll_agents(
        tenant=tenant,
        curricula=[curricula["common-etiquette"]],
        memberships=[people["agent04"], people["agent09"]],
        assigned_by=lead_blue,
        due_at=now - timedelta(days=2),
    )

    # Today's activity. The certification demo gives most agents a backdated past (every skill
    # group needs the complaints and data-protection curricula and its industry's), so today's
    # activity stays off those curricula for those agents: nothing done today may sit under a
    # certificate dated months ago, and the services keep a lesson's first completion.
    # agent05 has passed all the common content, nothing industry-specific.
    for code in ("common-etiquette", "common-complaints", "common-data-protection"):
        study(people["agent05"], curricula[code])
        sit(people["agent05"], quizzes[code], seed=5)
    # A few agents mid-way.
    study(people["agent01"], curricula["common-etiquette"])
    sit(people["agent01"], quizzes["common-etiquette"], seed=1)
    study(people["agent01"], curricula["finance-basics"], lessons=1)
    study(people["agent02"], curricula["common-etiquette"], lessons=2)
    sit(people["agent02"], quizzes["common-etiquette"], right=1, seed=2)  # failed once
    study(people["agent03"], curricula["telecom-basics"])
    sit(people["agent03"], quizzes["telecom-basics"], right=3, finish=False, seed=3)
    study(people["agent06"], curricula["finance-basics"], lessons=1)
    study(people["agent07"], curricula["common-etiquette"])
    sit(people["agent07"], quizzes["common-etiquette"], seed=7)

    ctx.lines.append(
        "Training: 3 industries + 3 common curricula; agent05 passed the common content only; "
        "agent03 has a telecom quiz in progress; agent04 is overdue."
    )
