"""A Footer that is composed again only when the keys it shows change.

Textual's Footer composes all its keys again (new widgets, their styles worked out, a layout)
after every change of the screen's bindings, which a focus change or `refresh_bindings` signals
whether or not a shown key changed: 25–75 ms each time the chats screen opens. This one first
works out what it would show (each shown key, its label, whether it is enabled) and leaves its
keys alone when that is what they already show.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class SteadyFooter(Footer):
    """Footer whose keys are composed again only when they would differ."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple | None = None  # what the keys show, as `_showing` gives it

    def _showing(self) -> tuple:
        """Everything `Footer.compose` reads to make its keys, in the order it makes them."""
        app = self.app
        active = self.screen.active_bindings
        keys = tuple((binding.key, app.get_key_display(binding), binding.description, binding.action, enabled,
                      tooltip, binding.group, binding.tooltip)
                     for (_, binding, enabled, tooltip) in active.values() if binding.show)
        palette = active.get(app.COMMAND_PALETTE_BINDING) if self.show_command_palette else None
        if palette is not None and app.ENABLE_COMMAND_PALETTE:
            _, binding, enabled, tooltip = palette
            return keys, (binding.key, app.get_key_display(binding), binding.description, enabled, binding.tooltip)
        return keys, None

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        if not self.is_attached:
            return
        shown = self._showing()
        if shown != self._shown:
            self._shown = shown
            await self.recompose()
