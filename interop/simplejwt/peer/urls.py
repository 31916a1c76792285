from django.conf import settings
from django.urls import include, path
from rest_framework.routers import SimpleRouter
from rest_framework_simplejwt.views import (
    TokenBlacklistView,
    TokenObtainPairView,
    TokenRefreshView,
    TokenVerifyView,
)

from api.views import EmailTokenObtainPairView, ResourceViewSet, UserViewSet

resources = SimpleRouter()  # trailing slash
resources.register(r"resource", ResourceViewSet, basename="resource")

users = SimpleRouter()
users.register(r"users", UserViewSet, basename="user")

urlpatterns = [
    # document 000 layout
    path("gettoken/", TokenObtainPairView.as_view()),
    path("tokenrefresh/", TokenRefreshView.as_view()),
    path("verifytoken/", TokenVerifyView.as_view()),
    path("api/", include(resources.urls)),
    # document 004 layout (email login)
    path("api/v1/token/", EmailTokenObtainPairView.as_view()),
    path("api/v1/token/refresh/", TokenRefreshView.as_view()),
    path("api/v1/token/verify/", TokenVerifyView.as_view()),
    path("api/v1/", include(users.urls)),
    # the usual tutorial layout (username login)
    path("api/token/", TokenObtainPairView.as_view()),
    path("api/token/refresh/", TokenRefreshView.as_view()),
    path("api/token/verify/", TokenVerifyView.as_view()),
]

if "rest_framework_simplejwt.token_blacklist" in settings.INSTALLED_APPS:
    urlpatterns.append(path("api/v1/token/blacklist/", TokenBlacklistView.as_view()))
