from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.appmodules import app_modules
from tenants.admin_site import admin_site
from tenants.views import login_view

from . import views

api_v1 = [path("", include(module)) for _app, module in app_modules("api_urls")]

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz/", views.healthz, name="healthz"),
    path("accounts/login/", login_view, name="login"),  # before Django's: the checked form
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("tenants/", include("tenants.urls")),
    path("training/", include("training.urls")),
    path("certification/", include("certification.urls")),
    path("scheduling/", include("scheduling.urls")),
    path("admin/", admin_site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

handler400 = "skillgate.views.bad_request"
handler404 = "skillgate.views.page_not_found"
handler500 = "skillgate.views.server_error"
