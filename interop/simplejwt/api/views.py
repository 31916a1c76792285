from django.contrib.auth import get_user_model
from rest_framework import viewsets
from rest_framework_simplejwt.views import TokenObtainPairView

from .models import Resource
from .serializers import EmailTokenObtainPairSerializer, ResourceSerializer, UserSerializer


class ResourceViewSet(viewsets.ModelViewSet):
    queryset = Resource.objects.all()
    serializer_class = ResourceSerializer


class UserViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = get_user_model().objects.order_by("id")
    serializer_class = UserSerializer


class EmailTokenObtainPairView(TokenObtainPairView):
    serializer_class = EmailTokenObtainPairSerializer
