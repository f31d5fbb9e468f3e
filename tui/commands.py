"""Command-palette entries (ctrl+p), added to Textual's own (theme, screenshot, quit).

The general actions show when the palette opens; one entry per model and action (disable,
enable, check) and one per group appear as the user types, e.g. "disable gpt".
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING
from collections.abc import Iterable

from textual.app import SystemCommand

if TYPE_CHECKING:
    from tui.screens.main import MainScreen


def system_commands(textual_commands: Iterable[SystemCommand]) -> Iterable[SystemCommand]:
    """Textual's own entries but its "Keys" (its key panel): the palette has one help, "Help"."""
    return (command for command in textual_commands if command.title != "Keys")


def app_commands(main: MainScreen) -> Iterable[SystemCommand]:
    """The modelfallback commands for the main screen `main`."""
    selected = main.selected_model()
    on = f" ({selected})" if selected else ""
    yield SystemCommand("Disable selected model", f"Take the selected model out of every chain{on}",
                        main.action_disable_model)
    yield SystemCommand("Enable selected model", f"Bring the selected model back now{on}",
                        main.action_enable_model)
    yield SystemCommand("Check selected model", f"Probe the selected model's health now{on}",
                        main.action_check_model)
    yield SystemCommand("Check all models", "Probe every model's health now, concurrently", main.action_check_all)
    yield SystemCommand("New chat", "Start a new conversation", main.action_new_chat)
    chat = main.chat
    if chat.store is not None:
        yield SystemCommand("Chats", "Saved chats: search, open, rename, delete", main.action_chats)
    target = chat.copy_target
    if target is not None:
        yield SystemCommand("Copy", f"Copy the {target.label} to the clipboard", main.action_copy)
    if chat.can_ask_again:
        yield SystemCommand("Ask the next model", "Ask the last prompt again, of the next model of the group",
                            main.action_ask_next)
        yield SystemCommand("Ask another model…", "Ask the last prompt again, of a model picked from a list",
                            main.action_ask_again)
    if main.chat_check("keep", ()):
        yield SystemCommand("Keep the marked answer", "Carry on with the marked answer to the last prompt",
                            main.action_keep)
    yield SystemCommand("System prompt…", "Set this chat's system prompt (sent first, saved with the chat)",
                        main.action_system_prompt)
    yield SystemCommand("Attach a file…", "A text file for the next prompt (or type @path in it)",
                        main.action_attach)
    yield SystemCommand("Export conversation", "Save the conversation as a Markdown file", main.action_export)
    yield SystemCommand("Toggle event log", "Show or hide the event log panel", main.action_toggle_log)
    yield SystemCommand("Help", "Every key of the app, by where it works", main.action_help)
    yield SystemCommand("Setup doctor", "Check config, keys, providers, models, groups, state and clock (F2)",
                        main.doctor.open)
    if main.chat.busy:
        yield SystemCommand("Stop answer", "Stop the answer that is streaming", main.action_stop)
    if main.chat.can_try_next:
        yield SystemCommand("Try next model", "Send the stopped prompt to the next model of the chain",
                            main.action_try_next)
    config = main.engine.config
    for group, chain in config.groups.items():
        yield SystemCommand(f"Chat with group {group}", " → ".join(chain), partial(main.choose_group, group),
                            discover=False)
    for model in config.models:
        yield SystemCommand(f"Disable {model}", "Choose how long in a dialog",
                            partial(main.action_disable_model, model), discover=False)
        yield SystemCommand(f"Enable {model}", "Bring it back now", partial(main.action_enable_model, model),
                            discover=False)
        yield SystemCommand(f"Check {model}", "Probe its health now", partial(main.action_check_model, model),
                            discover=False)
