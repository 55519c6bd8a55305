"""The step pages, one module each, found by step name: :data:`engine.app.session.STEPS` alone
decides their order, labels and icons, and the session whether each can be opened."""

from desktop_app.pages.base import Page
from desktop_app.pages.columns import ColumnsPage
from desktop_app.pages.data import DataPage
from desktop_app.pages.export import ExportPage
from desktop_app.pages.privacy import PrivacyPage
from desktop_app.pages.report import ReportPage
from desktop_app.pages.train import TrainPage

#: Each step's page class, keyed by step name (the order is STEPS').
PAGES: dict[str, type[Page]] = {page.step: page for page in (DataPage, ColumnsPage, PrivacyPage, TrainPage,
                                                            ReportPage, ExportPage)}

__all__ = ["PAGES", "ColumnsPage", "DataPage", "ExportPage", "Page", "PrivacyPage", "ReportPage", "TrainPage"]
