"""Patients and the schedule in a browser."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from tests.e2e.conftest import Screens, Site, sign_in


class TestPatients:
    def test_search_and_open_a_patient(self, page: Page, site: Site, shot: Screens) -> None:
        sign_in(page, site, site.front_desk, "/patients")
        expect(page.get_by_role("heading", name="Patients")).to_be_visible()
        shot(page, "patients")
        first = page.locator("tbody th a").first
        last_name = first.inner_text().split(",")[0]
        page.get_by_label("Search patients").fill(last_name)
        page.get_by_role("button", name="Search").click()
        expect(page).to_have_url(re.compile(rf"q={last_name}"))
        names = page.locator("tbody th a").all_inner_texts()
        assert names
        assert all(last_name.lower() in n.lower() for n in names)
        page.locator("tbody th a").first.click()
        expect(page.get_by_role("heading", name="Family")).to_be_visible()
        for section in ("Insurance", "Appointments", "Completed procedures"):
            expect(page.get_by_role("heading", name=section, exact=True)).to_be_visible()
        shot(page, "patient")

    def test_open_a_patient_from_the_procedures(self, page: Page, site: Site) -> None:
        sign_in(page, site, site.billing, "/procedures")
        link = page.locator("tbody tr").first.get_by_role("link")
        name = link.inner_text()
        link.click()
        last, first = (part.strip() for part in name.split(","))
        expect(page.get_by_role("heading", level=1)).to_contain_text(last)
        expect(page.get_by_role("heading", level=1)).to_contain_text(first)
        expect(page.get_by_role("heading", name="Completed procedures")).to_be_visible()

    def test_an_unknown_search_says_so(self, page: Page, site: Site) -> None:
        sign_in(page, site, site.front_desk, "/patients?q=zzzzqqq")
        expect(page.get_by_role("cell", name="No patient matches “zzzzqqq”.")).to_be_visible()


class TestSchedule:
    def test_todays_schedule_by_operatory(self, page: Page, site: Site, shot: Screens) -> None:
        sign_in(page, site, site.front_desk, "/schedule")
        expect(page.get_by_role("heading", name="Schedule")).to_be_visible()
        operatories = page.locator(".op-name")
        assert operatories.count() >= 2
        shot(page, "schedule")
        page.get_by_role("link", name="Previous day").click()
        expect(page).to_have_url(re.compile(r"day=\d{4}-\d{2}-\d{2}"))
        expect(page.get_by_role("link", name="Today")).to_be_visible()

    def test_an_appointment_leads_to_its_patient(
        self, page: Page, site: Site, shot: Screens
    ) -> None:
        sign_in(page, site, site.front_desk, "/schedule")
        day = page.url
        for _ in range(7):
            if page.locator(".appt a").count():
                break
            page.get_by_role("link", name="Previous day").click()
            expect(page).not_to_have_url(day)
            day = page.url
        appointment = page.locator(".appt a").first
        shot(page, "schedule-busy-day")
        name = appointment.locator(".who").inner_text()
        appointment.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(name.split(",")[0])
