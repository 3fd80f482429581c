"""The NinjaAPI instance: session authentication, Chinese refusals, the routers."""

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer
from ninja.security import SessionAuth

from cases.api import case_views, deadlines, documents, evidence, households, transitions
from cases.api.errors import install_handlers

DESCRIPTION = """兰山区社会救助经办系统的数据接口。

* 认证：与网页相同的登录会话（Cookie `sessionid`）；未登录的请求被转到登录页。
  POST 请求还须携带 `csrftoken` Cookie 和相同值的 `X-CSRFToken` 请求头。
* 范围与权限：与网页相同。看不到的家庭、案件、文书一律返回 404，不提示其是否存在。
* 办理：`POST /api/cases/{id}/transitions/{action}/` 与案件页面上的按钮一一对应，
  经同一服务办理；不允许时返回 400（无权执行时 403）及中文说明。
  `POST /api/cases/{id}/home-visits/` 录入入户调查，与案件页面同一服务。
* 身份证号码一律脱敏；电话、银行账号不经本接口提供。
* 本说明（OpenAPI 3.1，`/api/openapi.json`）须登录后读取。不提供在线交互文档页面：
  其脚本默认来自外网 CDN，而各镇街内网无法访问外网。
* 金额以字符串返回（元，两位小数）；时间为带时区的 ISO 8601。
"""

class ChineseJSONRenderer(JSONRenderer):
    """UTF-8 JSON with Chinese text as is (not \\u escapes)."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="兰山区社会救助经办系统 API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=SessionAuth(csrf=True),
    renderer=ChineseJSONRenderer(),
    # The interactive docs page would load Swagger UI from a CDN, which the offices' intranet
    # cannot reach: only the JSON schema is served (login required, like every staff URL).
    docs_url=None,
)
install_handlers(api)
api.add_router("", households.router)
api.add_router("", case_views.router)
api.add_router("", transitions.router)
api.add_router("", evidence.router)
api.add_router("", deadlines.router)
api.add_router("", documents.router)
