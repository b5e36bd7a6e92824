from rest_framework import serializers

from .models import OutboxEvent


class EventSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="event_type")
    position = serializers.SerializerMethodField(help_text="Where this event is in the feed.")
    data = serializers.JSONField(source="payload")

    class Meta:
        model = OutboxEvent
        fields = ["id", "position", "type", "created_at", "data"]

    def get_position(self, event: OutboxEvent) -> str:
        return f"{event.txid}.{event.pk}"


class EventPageSerializer(serializers.Serializer):
    results = EventSerializer(many=True)
    next_after = serializers.CharField(help_text="Pass as ?after= to read on.")
    has_more = serializers.BooleanField()
