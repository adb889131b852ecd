"""Telling a holder the office revoked their e-certificate, in their language."""

from __future__ import annotations

from backend.certificates.tables import Certificate
from backend.core import i18n
from backend.notifications.service import Message, Notifier, locale_of


async def tell_holder_of_revocation(notifier: Notifier, certificate: Certificate) -> bool:
    """False when nobody is told: the holder's account was deleted, or they were told already
    (the message's key is the certificate's revocation, which happens once)."""
    if certificate.holder is None:
        return False
    with i18n.using_locale(await locale_of(certificate.holder)):
        message = Message(
            kind="status",
            title=i18n.gettext("Your e-certificate %(code)s was revoked")
            % {"code": certificate.code},
            body=i18n.gettext(
                "The office revoked the e-certificate of %(number)s. The reason it gave: %(reason)s"
            )
            % {"number": certificate.number, "reason": certificate.revoked_reason},
            link=f"/my/certificates#certificate-{certificate.code}",
            subject_key=f"certificate:{certificate.code}:revoked",
        )
    return await notifier.notify(certificate.holder, message)
