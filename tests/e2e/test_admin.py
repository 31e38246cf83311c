"""Signing in and out, the layout, and the admin pages, in a browser."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from tests.e2e.conftest import Screens, Site, sign_in


class TestSignIn:
    def test_sign_in_leads_to_the_dashboard(self, page: Page, site: Site, shot: Screens) -> None:
        page.goto("/")
        expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
        shot(page, "login")
        sign_in(page, site, site.owner, page.url)
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        shot(page, "dashboard")

    def test_a_wrong_password_is_explained(self, page: Page, site: Site, shot: Screens) -> None:
        page.goto("/login")
        page.get_by_label("Email").fill(site.front_desk)
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_have_text("Email or password is incorrect.")
        shot(page, "login-error")

    def test_an_ended_session_signs_in_again_and_returns(
        self, page: Page, site: Site, shot: Screens
    ) -> None:
        sign_in(page, site, site.owner)
        page.goto("/admin/activity?action=auth.login")
        page.context.clear_cookies()
        page.context.add_cookies(
            [{"name": "crowndesk_session", "value": "ended", "url": site.base_url}]
        )
        page.reload()
        expect(page.get_by_role("status")).to_contain_text("Your session has ended")
        shot(page, "login-session-ended")
        sign_in(page, site, site.owner, page.url)
        expect(page).to_have_url(re.compile(r"/admin/activity\?action=auth\.login$"))

    def test_sign_out(self, page: Page, site: Site) -> None:
        sign_in(page, site, site.owner)
        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(re.compile(r"/login$"))
        page.goto("/admin/sync")
        expect(page).to_have_url(re.compile(r"/login\?next="))


class TestLayout:
    def test_the_sidebar_shows_what_the_role_allows(self, page: Page, site: Site) -> None:
        sign_in(page, site, site.front_desk)
        nav = page.get_by_role("navigation").first
        expect(nav.get_by_role("link", name="Procedures")).to_be_visible()
        expect(nav.get_by_role("link", name="Users")).to_have_count(0)
        expect(nav.get_by_role("link", name="Sync")).to_have_count(0)

    def test_the_header_shows_user_clinic_and_last_sync(self, page: Page, site: Site) -> None:
        sign_in(page, site, site.owner)
        expect(page.get_by_label("Clinic", exact=True)).to_be_visible()
        expect(page.locator(".sync-indicator")).to_contain_text("Last synced")
        expect(page.locator(".user-menu")).to_contain_text("Demo Owner")

    def test_choosing_a_clinic_keeps_the_page(self, page: Page, site: Site) -> None:
        sign_in(page, site, site.owner)
        page.goto("/admin/clinics")
        page.get_by_label("Clinic", exact=True).select_option(label="Demo Dental — Main Street")
        page.get_by_role("button", name="Show").click()
        expect(page).to_have_url(re.compile(r"/admin/clinics$"))
        expect(page.get_by_label("Clinic", exact=True)).to_have_value(
            re.compile(r"^[0-9a-f-]{36}$")
        )

    def test_tablet_layout(self, page: Page, site: Site, shot: Screens) -> None:
        page.set_viewport_size({"width": 820, "height": 1180})
        sign_in(page, site, site.owner)
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        shot(page, "dashboard-tablet")
        page.goto("/procedures")
        expect(page.get_by_role("button", name="Mark claim pending")).to_be_visible()
        shot(page, "procedures-tablet", full_page=False)

    def test_every_control_has_a_name(self, page: Page, site: Site) -> None:
        sign_in(page, site, site.owner)
        pages = ["/", "/procedures", "/patients", "/schedule", "/admin/sync"]
        pages += ["/admin/clinics", "/admin/users", "/admin/activity"]
        unnamed = """() => [...document.querySelectorAll(
            'input:not([type=hidden]), select, textarea, button, a[href]')]
          .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                        && !el.textContent.trim())
          .map(el => el.outerHTML.slice(0, 120))"""
        for path in pages:
            page.goto(path)
            assert page.evaluate(unnamed) == [], path


class TestAdminPages:
    def test_sync_page_queues_a_sync(self, page: Page, site: Site, shot: Screens) -> None:
        sign_in(page, site, site.owner, "/admin/sync")
        expect(page.get_by_role("heading", name="Open Dental sync")).to_be_visible()
        shot(page, "admin-sync")
        page.get_by_role("button", name="Sync Patients now").click()
        expect(page.locator("#flash")).to_contain_text("Sync of patients queued")
        row = page.get_by_role("row", name=re.compile(r"^Patients"))
        expect(row).to_contain_text("Queued")
        history = page.locator("#sync-tab tbody tr").first
        expect(history).to_contain_text("Queued")
        page.get_by_role("button", name="Sync Patients now").click()
        expect(page.get_by_role("alert")).to_contain_text("already queued or running")
        shot(page, "admin-sync-queued")

    def test_sync_tabs(self, page: Page, site: Site, shot: Screens) -> None:
        sign_in(page, site, site.owner, "/admin/sync")
        for tab in ("Errors", "Parked records", "Conflicts", "Run history"):
            page.get_by_role("link", name=tab).click()
            expect(page.get_by_role("link", name=tab)).to_have_attribute("aria-current", "page")
        expect(page.locator("#sync-tab")).to_contain_text("Full read")
        page.get_by_role("link", name="Errors").click()
        shot(page, "admin-sync-errors")

    def test_clinic_connection_test(self, page: Page, site: Site, shot: Screens) -> None:
        sign_in(page, site, site.owner, "/admin/clinics")
        page.get_by_role("button", name="Test connection").click()
        expect(page.locator(".flash-success")).to_contain_text("Connected")
        shot(page, "admin-clinics")

    def test_users_page(self, page: Page, site: Site, shot: Screens) -> None:
        sign_in(page, site, site.owner, "/admin/users")
        expect(page.get_by_role("cell", name=site.billing)).to_be_visible()
        shot(page, "admin-users")

    def test_activity_log(self, page: Page, site: Site, shot: Screens) -> None:
        sign_in(page, site, site.owner, "/admin/activity")
        page.get_by_label("Action").fill("auth.login")
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_role("cell", name="auth.login").first).to_be_visible()
        shot(page, "admin-activity")

    def test_a_forbidden_page_says_so(self, page: Page, site: Site, shot: Screens) -> None:
        sign_in(page, site, site.front_desk, "/admin/users")
        expect(page.get_by_role("heading", name="Forbidden")).to_be_visible()
        shot(page, "forbidden")


class TestDashboard:
    def test_dashboard_figures(self, page: Page, site: Site, shot: Screens) -> None:
        sign_in(page, site, site.billing)
        stats = page.get_by_role("list").filter(has_text="Unbilled value")
        expect(stats).to_contain_text("Procedures this month")
        expect(stats).to_contain_text("Appointments today")
        expect(stats).to_contain_text("Sync health")
        expect(page.get_by_role("heading", name="Today's appointments")).to_be_visible()
        shot(page, "dashboard-billing")
