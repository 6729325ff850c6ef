"""A tiny publish/subscribe event bus (the observer pattern)."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Event", "EventBus", "Listener", "bus"]


@dataclass(frozen=True)
class Event:
    """Something that happened: a topic such as ``order.placed`` and its payload."""

    topic: str
    payload: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[Event], None]


class EventBus:
    """Delivers each published event to the listeners subscribed to its topic."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = defaultdict(list)

    def subscribe(self, topic: str, listener: Listener) -> None:
        """Call ``listener`` for every future event on ``topic``."""
        self._listeners[topic].append(listener)

    def on(self, topic: str) -> Callable[[Listener], Listener]:
        """Decorator form of :meth:`subscribe`: ``@bus.on("stock.low")``."""

        def register(listener: Listener) -> Listener:
            self.subscribe(topic, listener)
            return listener

        return register

    def publish(self, topic: str, **payload: Any) -> Event:
        """Notify the topic's listeners in subscription order; returns the event."""
        event = Event(topic, payload)
        for listener in self._listeners[topic]:
            listener(event)
        return event


bus = EventBus()  # the process-wide default bus
