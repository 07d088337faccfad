"""The tray's brain, display-free: menu actions, the expiry schedule, notifications.

Every STS call runs on a worker thread, so the menu never freezes; each change
calls ``on_change`` and the UI re-renders from ``view()``. State that matters
(sessions, expiry) is read from the credentials file each time; only what is
in flight (busy roles, last errors, the schedule's memory) lives here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar

from tray_app import __version__, text
from tray_app.atomicfile import atomic_write, os_errors_as
from tray_app.config import Config
from tray_app.engine import Engine
from tray_app.errors import ConfigError, RoleTrayError
from tray_app.mfa import MfaNeeded
from tray_app.notify import Button, LogNotifier, Notifier
from tray_app.prompt import PromptCancelled
from tray_app.schedule import Due, Kind, Schedule
from tray_app.sessions import RoleStatus, State, format_left
from tray_app.tray import desktop
from tray_app.tray.menu import Action, MfaView, RoleView, TrayView

log = logging.getLogger(__name__)
T = TypeVar("T")
# An assume that ends sooner is drawn once, done: no busy icon flashes by, and the tray's
# re-render (a few hundred microseconds of Python) does not compete with the click for
# the GIL. Under the 0.1 s a change still feels immediate; a slower one shows busy then.
QUICK_WORK = 0.1
CONFIG_TEMPLATE = """\
# roletray config: key sets and roles; no secrets here (they live in the OS keyring).
# Add entries with `roletray keys add` and `roletray roles add`, or by hand:
#
# [roles.prod]
# role_arn = "arn:aws:iam::123456789012:role/Admin"
# keys = "work"
"""


class Controller:
    def __init__(
        self,
        engine: Engine,
        notifier: Notifier | None = None,
        on_change: Callable[[], None] = lambda: None,
        workers: int = 2,
    ) -> None:
        self.engine = engine
        self.notifier: Notifier = notifier or LogNotifier()
        self.on_change = on_change
        self.schedule = Schedule()
        self.quit_requested = threading.Event()
        self._lock = threading.Lock()
        self._busy: dict[str, float] = {}  # role → when its assume began (monotonic)
        self._errors: dict[str, str] = {}
        self._auto_failures_told: set[tuple[str, object]] = set()
        self._mfa_told: set[str] = set()  # key sets whose ended MFA session was announced
        self._mfa_waiting: dict[str, set[str]] = {}  # key set → roles whose refresh needs it
        self._mfa_loaded = False
        self._autostart: bool | None = None  # starts at login (read once, then on toggle)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="roletray-sts")
        self._jobs: set[Future[None]] = set()

    # -- what the UI shows -------------------------------------------------------
    def view(self) -> TrayView:
        try:
            config = self.engine.config
            statuses = self.engine.status()
        except RoleTrayError as exc:
            return TrayView(problem=str(exc), version=__version__, notices=self.notifier.where)
        with self._lock:
            busy, errors = set(self._busy), dict(self._errors)
        warn = timedelta(seconds=config.settings.warn_before)
        roles = []
        for status in statuses:
            role = config.roles[status.role]
            roles.append(
                RoleView(
                    name=role.name,
                    profile=status.profile,
                    group=role.menu_group,
                    state=status.state,
                    time_left=status.time_left,
                    expiration=status.expiration,
                    duration=role.duration,
                    busy=role.name in busy,
                    error=errors.get(role.name),
                    expiring=status.time_left is not None and status.time_left <= warn,
                    auto_refresh=role.auto_refresh,
                    needs_mfa=role.mfa_each_time,
                    mfa_session=role.mfa_session,
                )
            )
        known = {k: s.expiration for k, s in self.engine.mfa_sessions.memory.items()}
        now = self.engine.clock()
        mfa = tuple(
            MfaView(name, known.get(name), bool(known.get(name) and known[name] <= now))
            for name in sorted({r.keys for r in config.roles.values() if r.mfa_session})
        )
        return TrayView(
            tuple(roles), None, __version__, self.notifier.where, mfa, self._starts_at_login()
        )

    # -- menu actions ------------------------------------------------------------
    def dispatch(self, action: Action) -> None:
        verb, name = action
        handlers: dict[str, Callable[[], object]] = {
            "assume": lambda: self.assume(name),
            "clear": lambda: self._submit(self._clear_job, name),
            "copy": lambda: self._copy_export(name),
            "auto-refresh": lambda: self._toggle_auto_refresh(name),
            "refresh-all": lambda: self._submit(self._refresh_all_job),
            "mfa-renew": lambda: self._submit(self._renew_mfa_job, name),
            "mfa-clear": lambda: self._submit(self._clear_mfa_job, name),
            "import-aws": lambda: self._submit(self._import_job),
            "doctor": lambda: self._submit(self._doctor_job),
            "autostart": self._toggle_autostart,
            "console": lambda: self._submit(self._console_job, name),
            "open-config": self._open_config,
            "reload": self.reload,
            "about": self._about,
            "quit": self.request_quit,
        }
        try:
            handlers[verb]()
        except RoleTrayError as exc:
            self.notifier.notify("RoleTray", str(exc))
        self.on_change()

    def assume(self, name: str, why: str = "click") -> Future[None] | None:
        """Assume (or renew) on a worker; None when that role is already in flight."""
        with self._lock:
            if name in self._busy:
                return None
            self._busy[name] = time.monotonic()
        self.on_change()
        future = self._spawn(self._assume_job, name, why)
        if future is None:
            with self._lock:
                self._busy.pop(name, None)
        return future

    def for_client(self, name: str, act: Callable[[], T]) -> T:
        """Run an assume another program asked for (the broker): busy in the menu, then
        its outcome there, as a click; the answer and any error go back to the caller."""
        with self._lock:
            self._busy[name] = time.monotonic()
        self.on_change()
        try:
            result = act()
        except PromptCancelled:
            raise
        except RoleTrayError as exc:
            with self._lock:
                self._errors[name] = str(exc)
            raise
        else:
            with self._lock:
                self._errors.pop(name, None)
            self.schedule.refresh_succeeded(name)
            return result
        finally:
            with self._lock:
                self._busy.pop(name, None)
            self.on_change()

    def settling(self) -> float:
        """Seconds the UI may hold its next render for an assume begun under QUICK_WORK
        ago (0: none in flight, or it is slow and shows as busy)."""
        with self._lock:
            newest = max(self._busy.values(), default=None)
        return 0.0 if newest is None else max(0.0, newest + QUICK_WORK - time.monotonic())

    def reload(self) -> None:
        with self._lock:
            self._errors.clear()
        try:
            config = self.engine.reload()
        except RoleTrayError as exc:
            self.notifier.notify("RoleTray: config not loaded", str(exc))
            return
        log.info("config reloaded: %d roles", len(config.roles))

    def request_quit(self) -> None:
        self.quit_requested.set()

    def shutdown(self) -> None:
        """Let jobs in flight finish (bounded), then, with clear_on_quit, clear every profile.

        Waiting first matters: an assume still running would write its profile back
        after the clear. Queued jobs that have not started are cancelled; a job still
        running after the bound finds the engine closed and writes nothing.
        """
        with self._lock:  # after this, _spawn starts nothing
            self.quit_requested.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        try:
            config = self.engine.config
            grace = self.engine.worst_case()
        except RoleTrayError:
            config, grace = None, 0.0
        if not self.wait_idle(grace):
            log.warning("quit: a request still runs after %.0f s; it will write nothing", grace)
        self.engine.close()
        for name in config.roles if config and config.settings.clear_on_quit else ():
            try:
                self.engine.clear(name)
            except RoleTrayError as exc:  # one foreign profile must not keep the others
                log.warning("clear on quit: %s", exc)
        self.notifier.close()

    # -- the clock ---------------------------------------------------------------
    def tick(self) -> float:
        """Act on what is due now; return the seconds until the next wake."""
        try:
            config = self.engine.config
            statuses = self.engine.status()
        except RoleTrayError:
            return 60.0
        if not self._mfa_loaded:  # what the keyring already holds (the CLI may have made one)
            self._mfa_loaded = True
            self._submit(self._load_mfa_job)
        now = self.engine.clock()
        for event in self.schedule.due(statuses, config.roles, config.settings, now):
            self._handle(event, config, statuses)
        relied_on = self._mfa_relied_on(config)
        for event in self.schedule.mfa_due(relied_on, config.settings, now):
            self._handle_mfa(event, config)
        waits = [60.0]
        upcoming = [
            self.schedule.next_wake(statuses, config.roles, config.settings, now),
            self.schedule.mfa_next_wake(relied_on, config.settings, now),
        ]
        waits += [(at - now).total_seconds() for at in upcoming if at is not None]
        for status in statuses:  # wake when a countdown label changes (at :30 of a minute)
            if status.time_left is not None:
                waits.append((status.time_left.total_seconds() - 30) % 60 or 60.0)
        return max(0.2, min(waits))

    def _handle(self, event: Due, config: Config, statuses: list[RoleStatus]) -> None:
        role = config.roles[event.role]
        status = next(s for s in statuses if s.role == event.role)
        at = f"{event.expiration.astimezone():%H:%M}"
        renew: list[Button] = [("Renew", lambda: self.assume(role.name, "notification"))]
        hint = "" if self.notifier.supports_buttons else " Renew it from the RoleTray menu."
        mfa = " Renewing needs an MFA code." if role.mfa_serial else ""
        if event.kind is Kind.WARN:
            left = format_left(status.time_left) or "moments"
            self.notifier.notify(
                f"{role.name} expires in {left}",
                f"Profile {role.target_profile} expires at {at}.{mfa}{hint}",
                renew,
            )
        elif event.kind is Kind.EXPIRED:
            if config.settings.clear_on_expiry:
                self._submit(self._clear_job, role.name)
            self.notifier.notify(
                f"{role.name} expired",
                f"Profile {role.target_profile} expired at {at}.{mfa}{hint}",
                renew,
            )
        elif event.kind is Kind.REFRESH:
            self.assume(role.name, "auto")

    # -- MFA sessions ------------------------------------------------------------------
    def _mfa_relied_on(self, config: Config) -> dict[str, datetime]:
        """Key set → end of its MFA session, for the key sets auto-refresh signs with."""
        used = {k for k in config.keys if _refreshing_with(config, k)}
        known = dict(self.engine.mfa_sessions.memory)
        return {k: s.expiration for k, s in known.items() if k in used and s.expiration}

    def _handle_mfa(self, event: Due, config: Config) -> None:
        keyset = event.role
        roles = _refreshing_with(config, keyset)
        at = f"{event.expiration.astimezone():%H:%M}"
        if event.kind is Kind.MFA_WARN:
            left = format_left(event.expiration - self.engine.clock()) or "moments"
            self.notifier.notify(
                f"MFA session for {keyset} ends in {left}",
                f"Auto-refresh of {', '.join(roles)} stops at {at} unless you enter a new code.",
                self._enter_code(keyset),
            )
        else:
            self._mfa_ended(keyset, roles)

    def _mfa_ended(self, keyset: str, roles: list[str]) -> None:
        """Once per ended session: say so, with the button that opens the prompt."""
        with self._lock:
            if keyset in self._mfa_told:
                return
            self._mfa_told.add(keyset)
        hint = "" if self.notifier.supports_buttons else " Use MFA sessions in the RoleTray menu."
        self.notifier.notify(
            f"MFA session for {keyset} ended",
            f"Auto-refresh of {', '.join(roles)} needs a new MFA code.{hint}",
            self._enter_code(keyset),
        )

    def _enter_code(self, keyset: str) -> list[Button]:
        return [("Enter code", lambda: self._submit(self._renew_mfa_job, keyset))]

    def _renew_mfa_job(self, keyset: str) -> None:
        try:
            session = self.engine.renew_mfa_session(keyset)
        except PromptCancelled:
            log.info("MFA code entry for %s cancelled", keyset)
            return
        with self._lock:
            self._mfa_told.discard(keyset)
            waiting = self._mfa_waiting.pop(keyset, set())
        for name in sorted(waiting):  # the refreshes that were waiting for this session
            self.assume(name, "auto")
        until = session.expiration.astimezone() if session.expiration else None
        self.notifier.notify(
            f"MFA session for {keyset} started",
            f"Roles that use it renew with no code until {until:%H:%M}." if until else "",
        )

    def _clear_mfa_job(self, keyset: str) -> None:
        self.engine.clear_mfa(keyset)

    def _load_mfa_job(self) -> None:
        self.engine.mfa_status()

    # -- jobs (worker threads) ---------------------------------------------------
    def _submit(self, job: Callable[..., None], *args: str) -> None:
        self._spawn(self._guarded, job, *args)

    def _spawn(self, fn: Callable[..., None], *args: str) -> Future[None] | None:
        """Run on a worker and track it; None once quitting (nothing new starts)."""
        with self._lock:
            if self.quit_requested.is_set():
                return None
            future = self._pool.submit(fn, *args)
            self._jobs = {f for f in self._jobs if not f.done()} | {future}
        return future

    def wait_idle(self, timeout: float = 60) -> bool:
        """Wait for every job in flight, and any they start; False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = {f for f in self._jobs if not f.done()}
            remaining = deadline - time.monotonic()
            if not pending or remaining <= 0:
                return not pending
            wait(pending, timeout=remaining)

    def _guarded(self, job: Callable[..., None], *args: str) -> None:
        try:
            job(*args)
        except PromptCancelled as exc:
            log.info("%s", exc)
        except RoleTrayError as exc:
            self.notifier.notify("RoleTray", str(exc))
        except Exception:
            log.exception("unexpected failure in %s", getattr(job, "__name__", "job"))
        finally:
            self.on_change()

    def _assume_job(self, name: str, why: str) -> None:
        try:
            status = self._assume_now(name, interactive=why != "auto")
        except Exception as exc:
            self._failed(name, why, exc)
        else:
            if why != "auto":
                until = status.expiration.astimezone() if status.expiration else None
                when = f" until {until:%H:%M}" if until else ""
                self.notifier.notify(
                    f"{name} ready{when}",
                    f"Profile {status.profile} is ready ({format_left(status.time_left)} left).",
                )
        finally:
            with self._lock:
                self._busy.pop(name, None)
            self.on_change()

    def _assume_now(self, name: str, interactive: bool = True) -> RoleStatus:
        status = self.engine.assume(name, interactive=interactive)
        with self._lock:
            self._errors.pop(name, None)
        self.schedule.refresh_succeeded(name)
        log.info("assumed %s: profile %s", name, status.profile)
        return status

    def _failed(self, name: str, why: str, exc: Exception) -> None:
        if isinstance(exc, PromptCancelled):  # the user said no: nothing went wrong
            log.info("%s", exc)
            return
        if isinstance(exc, MfaNeeded) and why == "auto":
            self.schedule.refresh_failed(name, self.engine.clock())
            with self._lock:
                self._mfa_waiting.setdefault(exc.keyset, set()).add(name)
            config = self.engine.config
            roles = _refreshing_with(config, exc.keyset)
            self._mfa_ended(exc.keyset, roles)
            return
        message = str(exc) if isinstance(exc, RoleTrayError) else None
        if message is None:
            log.exception("unexpected failure assuming %s", name)
            message = f"Unexpected {type(exc).__name__} assuming {name} — see the log."
        with self._lock:
            self._errors[name] = message
        if why != "auto":
            self.notifier.notify(f"{name} failed", message)
            return
        delay = self.schedule.refresh_failed(name, self.engine.clock())
        key = (name, self._expiration_of(name))
        if key not in self._auto_failures_told:  # once per session, not every retry
            self._auto_failures_told.add(key)
            retry = f"{int(delay.total_seconds())} s"
            self.notifier.notify(f"{name}: auto-refresh failed", f"{message} Retrying in {retry}.")

    def _expiration_of(self, name: str) -> object:
        try:
            return next(s.expiration for s in self.engine.status() if s.role == name)
        except (RoleTrayError, StopIteration):
            return None

    def _clear_job(self, name: str) -> None:
        self.engine.clear(name)
        with self._lock:
            self._errors.pop(name, None)

    def _refresh_all_job(self) -> None:
        active = [s.role for s in self.engine.status() if s.state is State.ACTIVE]
        renewed, failed = [], []
        for name in active:
            try:
                self._assume_now(name)
                renewed.append(name)
            except RoleTrayError as exc:
                failed.append(name)
                with self._lock:
                    self._errors[name] = str(exc)
        summary = f"Renewed {len(renewed)} of {len(active)}"
        detail = f"Failed: {', '.join(failed)} — see each role in the menu." if failed else ""
        self.notifier.notify(summary, detail or ", ".join(renewed) or "No active sessions.")

    # -- arriving with an AWS setup, and checking it ------------------------------------
    def _import_job(self) -> None:
        """Plaintext keys into the keyring (asked first), then roles from ~/.aws/config."""
        from tray_app import aws_config as aws
        from tray_app.prompt import report

        engine = self.engine
        settings = engine.config.settings
        keys = engine.credentials.long_lived_keys()
        question = _keys_question(keys, engine.credentials.path)
        title = "RoleTray — move keys into the keyring"
        if keys and report.ask(settings, title, question, ok="Move keys"):
            failed = []
            for profile, (key_id, secret) in keys.items():
                try:  # one key that cannot move must not keep the others in the file
                    engine.import_key(profile, key_id, secret, verify=True, scrub=True)
                except RoleTrayError as exc:
                    failed.append(str(exc))
            if failed:
                self.notifier.notify(f"{len(failed)} key(s) not moved", " ".join(failed)[:400])
        path = aws.aws_config_path()
        verdicts = aws.plan_from_aws_config(aws.load_profiles(path), engine.config, {})
        adding = aws.additions(verdicts)
        plan = f"{path}\n\n" + text.table(aws.plan_rows(verdicts, dry_run=True), aws.PLAN_COLUMNS)
        title = "RoleTray — import roles"
        if not adding:
            report.ask(settings, title, plan + "\n\nNothing new to add.")
        elif report.ask(settings, title, plan, ok=f"Add {len(adding)} roles"):
            engine.add_roles(adding)
            engine.reload()
            names = ", ".join(r.name for r in adding)
            self.notifier.notify(f"Imported {len(adding)} roles", names[:200])

    def _doctor_job(self) -> None:
        from tray_app import doctor
        from tray_app.prompt import report

        findings = doctor.run(self.engine)
        counts = {s: sum(f.status == s for f in findings) for s in (doctor.BROKEN, doctor.WARN)}
        summary = f"{counts[doctor.BROKEN]} broken, {counts[doctor.WARN]} warning(s)"
        self.notifier.notify(f"Setup check: {summary}", "The report is open.")
        report.ask(self.engine.config.settings, "RoleTray — check setup", doctor.render(findings))

    # -- small actions -------------------------------------------------------------
    def _copy_export(self, name: str) -> None:
        profile = self.engine.config.role(name).target_profile
        desktop.copy_text(f"export AWS_PROFILE={profile}")

    def _toggle_auto_refresh(self, name: str) -> None:
        role = self.engine.config.role(name)
        self.engine.store.put_role(replace(role, auto_refresh=not role.auto_refresh))
        self.engine.reload()

    def _console_job(self, name: str) -> None:
        from tray_app import browser

        url = self.engine.console_url(name)  # a secret: to the browser, nowhere else
        browser.open_url(url, self.engine.config.role(name).browser_profile)
        self.notifier.notify(f"Opening the AWS console for {name}", "In your browser.")

    def _starts_at_login(self) -> bool:
        if self._autostart is None:
            from tray_app.autostart import for_platform

            self._autostart = for_platform().status() is not None
        return self._autostart

    def _toggle_autostart(self) -> None:
        from tray_app.autostart import for_platform, tray_command

        item = for_platform()
        if self._starts_at_login():
            item.disable()
        else:
            item.enable(tray_command())
        self._autostart = None  # read back: the menu shows what is there, not what we meant

    def _open_config(self) -> None:
        path = self.engine.store.path
        if not path.exists():
            with os_errors_as(ConfigError, path):
                path.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(path, CONFIG_TEMPLATE.encode(), mode=0o600)
        desktop.open_path(path)

    def _about(self) -> None:
        self.notifier.notify(
            f"RoleTray {__version__}",
            f"Config: {self.engine.store.path}\nCredentials: {self.engine.credentials.path}",
        )


def _keys_question(keys: dict[str, tuple[str, str]], path: object) -> str:
    listed = "\n".join(f"  [{profile}]  {key_id}" for profile, (key_id, _) in keys.items())
    return (
        f"{path} holds long-lived keys in plaintext:\n\n{listed}\n\nMove them into the OS "
        "keyring (each checked with AWS first) and remove them from the file? Every other "
        "line of the file stays as it is."
    )


def _refreshing_with(config: Config, keyset: str) -> list[str]:
    """The auto-refresh roles that sign with ``keyset``'s MFA session."""
    return sorted(
        r.name
        for r in config.roles.values()
        if r.keys == keyset and r.mfa_session and r.auto_refresh
    )
