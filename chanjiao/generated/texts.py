"""Narrative texts assembled from phrase lists: the park's industry, the innovations, the typical cases and the
plan's work items, filled in with a consortium's own city, park, school, enterprise, theme and figures.
"""

from __future__ import annotations

import random
import re
from typing import Any

from chanjiao.generated.consortia import Consortium
from chanjiao.generated.figures import dec_text
from chanjiao.reference.catalogue import Catalogue

_ORDINALS = "一二三四五六七八"

_CHAINS = (
    "研发设计—核心部件—整机制造—运维服务",
    "原料供应—精深加工—检验检测—物流销售",
    "基础材料—关键零部件—系统集成—应用服务",
    "技术研发—中试孵化—规模生产—市场服务",
)
_INNOVATIONS = (
    "创新“理事会+秘书处+专门委员会”治理架构，由{zone}管委会负责同志担任理事长，{school}和{ent}分别担任副理事长单位，"
    "形成政府统筹、园区主导、校企协同的运行机制",
    "推行“园区即校区、车间即课堂”的场景化教学，在{ent}等成员企业设立教学工场{n1}个，学生在真实生产环境中完成"
    "{major1}专业核心课程的学习",
    "建立“双向流动、双岗双薪”的师资共享机制，遴选企业技术骨干{n2}人担任产业导师，专任教师每年到企业实践不少于1个月",
    "搭建共性技术服务平台，面向园区中小企业开展技术攻关、产品检测和工艺改进服务，累计解决企业技术难题{n3}项",
    "构建“岗课赛证”融通的课程体系，将{major2}等专业的职业技能等级证书标准融入专业教学标准和课程内容",
    "实施“招生即招工、入校即入企”的中国特色学徒制，与{ent}联合开设学徒制班{n4}个，实行校企双导师培养",
    "建立专业设置与{theme}产业需求动态对接机制，每年发布人才需求报告，据此调整优化专业结构和招生计划",
    "探索“政府搭台、企业出题、院校答题”的协同创新模式，校企联合申报科研项目，推动研发成果在园区就地转化",
)
CASE_TITLES = (
    "“{short}订单班”：校企共育{major1}高技能人才",
    "共建{theme}产业学院，打造“专业+产业”融合发展新样板",
    "现场工程师专项培养计划助力{ent}转型升级",
    "“{short}共性技术服务平台”赋能园区中小企业创新发展",
    "“双师”互聘互用，建强{major2}专业教学团队",
    "中国特色学徒制“{short}模式”的探索与实践",
    "产教融合实训基地共建共享的{city}实践",
)
_CASE_BACKGROUND = (
    "{zone}{theme}企业普遍面临一线技术技能人才招不来、留不住的问题，院校培养的学生与岗位要求之间存在一定差距。",
    "随着{theme}产业加快向高端化、智能化、绿色化转型，园区企业对复合型技术技能人才的需求日益迫切。",
    "园区中小企业数量多、研发能力弱，在工艺改进和产品检测方面长期依赖外部机构，成本高、周期长。",
)
_CASE_MEASURES = (
    "校企共同制订人才培养方案，按照岗位能力要求重构课程体系",
    "企业派出技术骨干担任兼职教师，承担专业核心课程和实践教学任务",
    "学校在企业设立教师工作站，专任教师定期到企业参与技术改造项目",
    "共建共享实训基地，引入企业真实生产项目开展教学",
    "实行学校、企业双导师制，学生在企业完成岗位轮训和顶岗实习",
    "建立学徒培养质量评价标准，由企业对学徒技能水平进行考核认定",
    "依托共性技术服务平台承接企业委托项目，师生共同参与技术攻关",
)
_CASE_LESSONS = (
    "实践表明，只有让企业真正参与人才培养的全过程，才能实现教育链、人才链与产业链、创新链的有机衔接。",
    "校企双方建立了责任共担、利益共享的长效合作机制，为联合体实体化运行积累了经验。",
    "该模式已在联合体成员单位中推广，下一步将扩大合作企业范围，形成可复制、可推广的经验做法。",
)
_PLAN_ITEMS = (
    "完善理事会议事规则和秘书处运行机制，推动联合体实体化运作",
    "新增共建专业{co_majors}个、共建课程{co_courses}门，共建实训基地{co_training_bases}个",
    "培养中国特色学徒{apprentices}人、现场工程师{field_engineers}人",
    "面向园区企业员工开展培训{staff_training_person_days}人日",
    "组织专任教师到企业实践，推动企业兼职教师{ent_teachers_persons}人次参与教学",
    "发布{theme}产业人才需求报告，动态调整专业设置",
    "推进共性技术服务平台建设，联合开展技术攻关和成果转化",
)


def _fill(template: str, ctx: dict[str, Any]) -> str:
    return template.format(**ctx)


def text_context(c: Consortium, year: int, v: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    short = re.split(r"[及与（]", c.theme)[0]
    return {
        "zone": c.dev_zone,
        "school": c.school,
        "ent": c.enterprise_short,
        "city": c.city,
        "theme": c.theme,
        "short": short,
        "major1": c.majors[0],
        "major2": c.majors[1],
        "year": year,
        "n1": rng.randint(3, 9),
        "n2": rng.randint(20, 80),
        "n3": rng.randint(12, 60),
        "n4": rng.randint(2, 6),
        **{
            k: v[k]
            for k in (
                "co_majors",
                "co_courses",
                "co_training_bases",
                "apprentices",
                "field_engineers",
                "staff_training_person_days",
                "ent_teachers_persons",
            )
            if k in v
        },
    }


def park_text(c: Consortium, year: int, v: dict[str, Any], rng: random.Random) -> str:
    return (
        f"{c.dev_zone}以{c.theme}为主导产业，聚集相关企业{v['members_enterprise'] + rng.randint(20, 200)}家，"
        f"其中规模以上企业{v['ent_above_scale'] + rng.randint(10, 60)}家，{year}年园区实现总产值"
        f"{dec_text(v['park_output_100m'])}亿元，已形成{rng.choice(_CHAINS)}的产业链条。"
    )


def overlong(text: str, max_chars: int) -> str:
    """A narrative that runs past its limit, as submitters paste whole paragraphs."""
    extra = (
        "园区先后获评省级新型工业化产业示范基地、省级产教融合示范园区，引进重点项目多个，"
        "产业集聚效应和辐射带动作用持续增强，对技术技能人才的需求保持快速增长态势，"
        "企业用工缺口主要集中在一线技术岗位和生产管理岗位，亟需通过联合体建设加以解决。"
    )
    while len(text) <= max_chars + 30:
        text += extra
    return text[: max_chars + 30].rstrip("，、") + "。"


def innovation_text(ctx: dict[str, Any], rng: random.Random) -> str:
    items = rng.sample(_INNOVATIONS, rng.randint(3, 5))
    body = "；".join(f"{_ORDINALS[i]}是{_fill(t, ctx)}" for i, t in enumerate(items))
    return (
        f"联合体坚持“政府主导、园区统筹、校企共建”的原则，在体制机制和人才培养模式上开展了以下探索：{body}。\n"
        f"下一步，联合体将围绕{ctx['city']}{ctx['theme']}产业发展需求，持续深化产教融合、校企合作，"
        "推动联合体由“物理聚合”向“化学融合”转变。"
    )


def case_study(ctx: dict[str, Any], rng: random.Random, title_template: str) -> tuple[str, str]:
    title = _fill(title_template, ctx)
    if len(title) > 50:
        title = f"{ctx['short']}产教融合典型案例"
    measures = rng.sample(_CASE_MEASURES, 3)
    students, retained, solved = rng.randint(40, 300), rng.randint(65, 92), rng.randint(5, 40)
    text = "\n".join(
        (
            "【背景】"
            + _fill(rng.choice(_CASE_BACKGROUND), ctx)
            + f"{ctx['year']}年，联合体以{ctx['ent']}为试点，联合{ctx['school']}启动本项目。",
            "【做法】" + "；".join(f"{_ORDINALS[i]}是{m}" for i, m in enumerate(measures)) + "。",
            f"【成效】项目实施以来，累计培养{ctx['major1']}等专业学生{students}人，合作企业留用率达到{retained}%，"
            f"帮助企业解决生产技术难题{solved}项，相关做法得到{ctx['city']}教育行政部门的肯定。",
            "【经验】" + rng.choice(_CASE_LESSONS),
        )
    )
    return title, text


def plan_text(ctx: dict[str, Any], rng: random.Random, pending: list[str], cat: Catalogue) -> str:
    items = [_fill(t, ctx) for t in _PLAN_ITEMS if all(k in ctx for k in re.findall(r"{(\w+)}", t))]
    items = rng.sample(items, min(len(items), rng.randint(4, 6)))
    if pending:
        items.append("按期完成" + "、".join(cat.label(code).replace("日期", "") for code in pending))
    body = "；".join(f"{_ORDINALS[i]}是{item}" for i, item in enumerate(items))
    return f"{ctx['year']}年，联合体将围绕{ctx['city']}{ctx['theme']}产业链发展需求，重点做好以下工作：{body}。"
