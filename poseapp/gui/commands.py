"""Thin QUndoCommands over the store's edits (store/edits.py).

``push_applied`` applies an edit *before* its command goes on the undo stack: when the commit
fails (the file is locked by another process, the disk is full) nothing is pushed, the caller tells
the user and redraws from the store, so screen, stack and file agree. Undo and redo likewise make
the store change first and move the stack only when it succeeded."""

from __future__ import annotations

import time
from typing import Callable

from PySide6.QtGui import QUndoCommand, QUndoStack

from poseapp.store.edits import VISIBILITY_NAMES, Edit, next_visibility  # noqa: F401 (re-exported for the views)

MERGING = 1001  # QUndoCommand.id of commands whose edits may merge (arrow-key nudges)
# Nudges merge into one undo step only while they come in one burst of key presses: a nudge of
# the same joint minutes later (after other work) is an edit of its own.
MERGE_WITHIN_S = 1.5


class StoreCommand(QUndoCommand):
    """An edit on the undo stack; ``after`` runs after each apply and revert (e.g. rebuilding the
    frame list). The stack's redo and undo skip a step the window has already made itself."""

    def __init__(self, edit: Edit, after: Callable[[], None] | None = None):
        super().__init__(edit.text)
        self.edit, self.after = edit, after
        self._done_before_stack = False
        self._last_edit_at = time.monotonic()

    def apply(self) -> None:
        self.edit.apply()
        if self.after is not None:
            self.after()

    def revert(self) -> None:
        self.edit.revert()
        if self.after is not None:
            self.after()

    def redo(self) -> None:
        if not self._skip():
            self.apply()

    def undo(self) -> None:
        if not self._skip():
            self.revert()

    def _skip(self) -> bool:
        skip, self._done_before_stack = self._done_before_stack, False
        return skip

    def id(self) -> int:  # noqa: A003 (Qt name)
        return MERGING if type(self.edit).merge is not Edit.merge else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt name)
        if not isinstance(other, StoreCommand) or other._last_edit_at - self._last_edit_at > MERGE_WITHIN_S:
            return False
        if self.edit.merge(other.edit):
            self.setText(self.edit.text)
            self._last_edit_at = other._last_edit_at
            return True
        return False


def push_applied(stack: QUndoStack, command: StoreCommand) -> None:
    """Apply ``command`` and push it only if its commit succeeded (raises what the store raised)."""
    command.apply()
    command._done_before_stack = True
    stack.push(command)


def push_done(stack: QUndoStack, command: StoreCommand) -> None:
    """Push a command whose edit is already in the store (a model run wrote as it went)."""
    command._done_before_stack = True
    stack.push(command)


def undo_applied(stack: QUndoStack) -> None:
    """Undo the last edit in the store first; the stack moves only if that commit succeeded."""
    if stack.canUndo():
        command = stack.command(stack.index() - 1)
        command.revert()
        command._done_before_stack = True
        stack.undo()


def redo_applied(stack: QUndoStack) -> None:
    if stack.canRedo():
        command = stack.command(stack.index())
        command.apply()
        command._done_before_stack = True
        stack.redo()
