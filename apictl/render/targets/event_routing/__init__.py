"""What the broker targets share: event channels split into levels, who may read or write them,
and how levels become RabbitMQ routing keys/regexes and Kafka topic names/ACL prefixes.

Mapping rules (documented in docs/targets/brokers.md):

- An AsyncAPI address ``api/{region_id}/{asset_type}/{asset_id}/{event_type}`` is a list of levels
  separated by ``/``. It is the MQTT topic; the AMQP routing key joins the same levels with ``.``.
- Kafka topic names are the *leading* levels that are fixed text or enumerated parameters (bounded
  sets); from the first unbounded parameter on, the levels go into the record key.
- A subscription's ``restrictions`` narrow parameters to listed values; a channel that does not
  have a restricted parameter is not granted to that subscription at all (deny by default).
"""

from apictl.render.targets.event_routing.amqp import (
    alternation,
    anchored,
    binding_keys,
    escape,
    mqtt_to_routing_key,
    read_pattern,
    routing_key_to_mqtt,
    write_pattern,
)
from apictl.render.targets.event_routing.kafka import (
    KAFKA_TOPIC,
    MAX_EXPANSION,
    acl_resources,
    non_leading_restrictions,
    record_key,
    topic_names,
)
from apictl.render.targets.event_routing.views import (
    EventApiView,
    EventChannel,
    Grant,
    Level,
    Qos,
    Reporter,
    SubscriptionView,
    broker_namespace,
    credentials_secret,
    event_apis,
    keyed_name,
    limit_location,
    report_policies,
    split_levels,
)

__all__ = [
    "KAFKA_TOPIC",
    "MAX_EXPANSION",
    "EventApiView",
    "EventChannel",
    "Grant",
    "Level",
    "Qos",
    "Reporter",
    "SubscriptionView",
    "acl_resources",
    "alternation",
    "anchored",
    "binding_keys",
    "broker_namespace",
    "credentials_secret",
    "escape",
    "event_apis",
    "keyed_name",
    "limit_location",
    "mqtt_to_routing_key",
    "non_leading_restrictions",
    "read_pattern",
    "record_key",
    "report_policies",
    "routing_key_to_mqtt",
    "split_levels",
    "topic_names",
    "write_pattern",
]
