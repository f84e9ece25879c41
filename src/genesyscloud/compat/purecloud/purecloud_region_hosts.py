"""``PureCloudPlatformClientV2.PureCloudRegionHosts``: the API base URL of each region."""

from __future__ import annotations

import enum

from ..._regions import Region

__all__ = ["PureCloudRegionHosts"]


class PureCloudRegionHosts(enum.Enum):
    """One member per Genesys Cloud region (``us_east_1``...); ``get_api_host()`` gives
    ``https://api.<domain>``."""

    us_east_1 = f"https://api.{Region.us_east_1.value}"
    eu_west_1 = f"https://api.{Region.eu_west_1.value}"
    ap_southeast_2 = f"https://api.{Region.ap_southeast_2.value}"
    ap_northeast_1 = f"https://api.{Region.ap_northeast_1.value}"
    eu_central_1 = f"https://api.{Region.eu_central_1.value}"
    us_west_2 = f"https://api.{Region.us_west_2.value}"
    ca_central_1 = f"https://api.{Region.ca_central_1.value}"
    ap_northeast_2 = f"https://api.{Region.ap_northeast_2.value}"
    eu_west_2 = f"https://api.{Region.eu_west_2.value}"
    ap_south_1 = f"https://api.{Region.ap_south_1.value}"
    us_east_2 = f"https://api.{Region.us_east_2.value}"
    sa_east_1 = f"https://api.{Region.sa_east_1.value}"
    me_central_1 = f"https://api.{Region.me_central_1.value}"
    ap_northeast_3 = f"https://api.{Region.ap_northeast_3.value}"
    eu_central_2 = f"https://api.{Region.eu_central_2.value}"
    mx_central_1 = f"https://api.{Region.mx_central_1.value}"
    ap_southeast_1 = f"https://api.{Region.ap_southeast_1.value}"
    eusc_de_east_1 = f"https://api.{Region.eusc_de_east_1.value}"

    @property
    def apihost(self) -> str:
        return self.value

    def get_api_host(self) -> str:
        return self.value
