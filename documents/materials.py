"""The materials list of the one-time notice (一次性告知书, S14, S15).

Ask the applicant for as little as possible: what a department can share is fetched by the
township and printed as “无需提供(部门共享获取)”. The list follows the Shandong county file
(BRIEF §2, NINGJIN) and SEED 三(一); the district should confirm it before it is frozen.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from cases.workflow import CaseKind

SHARED = "无需提供(部门共享获取)"
ON_SITE = "窗口现场填写、签字"


@dataclass(frozen=True)
class Material:
    name: str
    how: str  # what the applicant does: SHARED, ON_SITE or what to bring
    note: str = ""
    kinds: frozenset[str] | None = None  # None: every kind

    @property
    def shared(self) -> bool:
        return self.how == SHARED


_ALL_STANDING = frozenset({CaseKind.DIBAO, CaseKind.TEKUN, CaseKind.TEMP_EXPENDITURE})

MATERIALS: tuple[Material, ...] = (
    Material("社会救助申请书", ON_SITE, "工作人员当场讲解，一次填写"),
    Material("家庭经济状况核对授权书", ON_SITE, "每位成年家庭成员各签一份并按手印",
             frozenset({CaseKind.DIBAO, CaseKind.TEKUN})),
    Material("诚信声明及承诺书", ON_SITE),
    Material("委托授权书", ON_SITE, "仅在委托他人或村(居)委会代为申请时填写"),
    Material("申请人居民身份证", "出示原件，当场核验后退还，不留复印件"),
    Material("户籍信息(户口簿)", SHARED, "公安部门"),
    Material("婚姻状况", SHARED, "民政婚姻登记信息"),
    Material("残疾人证信息", SHARED, "残联"),
    Material("养老金、工资、社会保险缴纳信息", SHARED, "人力资源社会保障、税务部门"),
    Material("不动产、车辆、市场主体登记、住房公积金信息", SHARED,
             "经家庭经济状况核对平台查询"),
    Material("银行存款、证券等金融资产", SHARED, "经家庭经济状况核对平台查询"),
    Material("医疗费用票据或诊断证明", "提供复印件", "因病申请的；已在医保系统结算的无需提供",
             _ALL_STANDING | {CaseKind.TEMP_EMERGENCY}),
    Material("在校就读证明", "提供原件", "家庭成员为全日制在校学生且学籍信息无法共享的"),
    Material("接收救助金的银行账户", "提供账户信息", "申请人本人社会保障卡或银行卡"),
    Material("突发事件、意外事故等情况说明", "提供", "急难型临时救助",
             frozenset({CaseKind.TEMP_EMERGENCY})),
)


def materials_for(case_kind: str) -> list[dict]:
    """The checklist for one kind of case, in order, as plain dicts for a document context."""
    rows = []
    for item in MATERIALS:
        if item.kinds is not None and case_kind not in item.kinds:
            continue
        row = asdict(item)
        row.pop("kinds")
        row["shared"] = item.shared
        rows.append(row)
    return rows
