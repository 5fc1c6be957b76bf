"""What the subsidy may be spent on (Art. 13, rule R-FUND-USE)."""

from __future__ import annotations

from enum import StrEnum

from jiebang_api.kit.labels import labelled


@labelled(
    {
        "key_tech_rd": ("关键技术研发", "Key technology R&D"),
        "pilot_test": ("中间试验", "Pilot testing"),
        "new_product_dev": ("新产品开发", "New product development"),
        "promotion_risk_compensation": ("推广风险补偿", "Promotion risk compensation"),
        "standard_setting": ("技术标准制定", "Technical standard setting"),
    }
)
class FundingUse(StrEnum):
    KEY_TECH_RD = "key_tech_rd"
    PILOT_TEST = "pilot_test"
    NEW_PRODUCT_DEV = "new_product_dev"
    PROMOTION_RISK_COMPENSATION = "promotion_risk_compensation"
    STANDARD_SETTING = "standard_setting"
