"""Completed procedures in a browser: filter, select the unbilled, mark them claim-pending,
watch the statistics move, open the detail, and meet a refused move."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from tests.e2e.conftest import Screens, Site, sign_in


def stat(page: Page, name: str) -> int:
    text = page.locator(f"[data-stat='{name}']").inner_text()
    return int(text.replace(",", ""))


class TestProcedures:
    def test_filter_by_code_and_status(self, page: Page, site: Site, shot: Screens) -> None:
        sign_in(page, site, site.billing, "/procedures")
        expect(page.get_by_role("heading", name="Completed procedures")).to_be_visible()
        shot(page, "procedures")
        page.get_by_label("Patient or CDT code").fill("D1110")
        page.get_by_label("Billing status", exact=True).select_option("unbilled")
        page.get_by_role("button", name="Filter").click()
        expect(page).to_have_url(re.compile(r"q=D1110"))
        codes = page.locator("tbody tr td:nth-child(4)")
        expect(codes.first).to_have_text("D1110")
        assert set(codes.all_inner_texts()) == {"D1110"}
        statuses = page.locator("tbody .badge").all_inner_texts()
        assert set(statuses) == {"Unbilled"}
        shot(page, "procedures-filtered")

    def test_mark_unbilled_claim_pending(self, page: Page, site: Site, shot: Screens) -> None:
        sign_in(page, site, site.billing, "/procedures?q=D0274&per_page=25")
        unbilled_before = stat(page, "unbilled")
        in_claims_before = stat(page, "in-claims")
        alert = page.get_by_role("region", name="Unbilled procedures")
        expect(alert).to_contain_text(f"{unbilled_before:,} unbilled procedures ready for claims")
        alert.get_by_role("link", name="Select unbilled procedures").click()
        expect(page.locator("[data-selected-count]")).not_to_have_text("0 selected")
        selected = page.locator("input[name='ids']:checked").count()
        assert selected > 0
        shot(page, "procedures-selected")
        page.get_by_role("button", name="Mark claim pending").click()
        expect(page.locator("#flash")).to_contain_text(
            f"{selected} procedure{'s' if selected != 1 else ''} moved to “Pending claim”"
        )
        expect(page.locator("[data-stat='unbilled']")).to_have_text(
            f"{unbilled_before - selected:,}"
        )
        expect(page.locator("[data-stat='in-claims']")).to_have_text(
            f"{in_claims_before + selected:,}"
        )
        shot(page, "procedures-claim-pending")

    def test_an_illegal_move_is_explained(self, page: Page, site: Site, shot: Screens) -> None:
        sign_in(page, site, site.billing, "/procedures?q=D0140&billing_status=unbilled")
        page.locator("input[name='ids']").first.check()
        page.get_by_role("button", name="Mark paid").click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Nothing was changed: 1 of the 1 selected procedure")
        expect(alert).to_contain_text("it is unbilled")
        shot(page, "procedures-refused")

    def test_detail_dialog(self, page: Page, site: Site, shot: Screens) -> None:
        sign_in(page, site, site.billing, "/procedures")
        page.locator("tbody tr").first.get_by_role("button").click()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("Open Dental ProcNum")
        expect(dialog).to_contain_text("Billing history")
        shot(page, "procedure-detail", full_page=False)
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()

    def test_front_desk_sees_no_billing_actions(self, page: Page, site: Site) -> None:
        sign_in(page, site, site.front_desk, "/procedures")
        expect(page.locator("tbody tr").first).to_be_visible()
        expect(page.get_by_role("button", name="Mark claim pending")).to_have_count(0)


class TestKeyboard:
    def test_select_and_open_details_with_the_keyboard(
        self, page: Page, site: Site, shot: Screens
    ) -> None:
        sign_in(page, site, site.billing, "/procedures?billing_status=unbilled")
        page.locator("input[name='ids']").first.focus()
        page.keyboard.press("Space")
        expect(page.locator("[data-selected-count]")).to_have_text("1 selected")
        page.keyboard.press("Space")
        expect(page.locator("[data-selected-count]")).to_have_text("0 selected")
        details = page.locator("tbody .row-link").first
        details.focus()
        page.keyboard.press("Enter")
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        expect(dialog.get_by_role("heading", level=2)).to_be_focused()
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(details).to_be_focused()

    def test_the_skip_link_leads_to_the_content(self, page: Page, site: Site) -> None:
        sign_in(page, site, site.billing, "/procedures")
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to content")
        expect(skip).to_be_focused()
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"#main$"))
