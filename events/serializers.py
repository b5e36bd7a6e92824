from rest_framework import serializers

from .models import OutboxEvent


class EventSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="event_type")
    data = serializers.JSONField(source="payload")

    class Meta:
        model = OutboxEvent
        fields = ["id", "type", "created_at", "data"]


class EventPageSerializer(serializers.Serializer):
    results = EventSerializer(many=True)
    next_after = serializers.IntegerField(help_text="Pass as ?after= to read on.")
    has_more = serializers.BooleanField()
