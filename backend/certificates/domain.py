"""What certificates adds to the app (backend/core/domains.py)."""

from __future__ import annotations

from backend.certificates.privacy import certificates_data_of
from backend.certificates.routes import (
    CertificateApiController,
    MyCertificatesController,
    VerifyController,
)
from backend.core.domains import Domain, PrivacyPart

DOMAIN = Domain(
    name="certificates",
    route_handlers=(MyCertificatesController, VerifyController, CertificateApiController),
    privacy=(PrivacyPart("certificates", certificates_data_of),),
)
