from core.appmodules import app_modules


def navigation(request):
    """Each app may offer ``nav_items(request)`` in its dashboard module; the base layout shows
    them, so the shared layout never needs to know which apps exist."""
    if not getattr(request, "tenant", None) or request.membership is None:
        return {"nav_items": []}
    items = []
    for _app, module in app_modules("dashboard"):
        items.extend(getattr(module, "nav_items", lambda request: [])(request))
    return {"nav_items": items}
