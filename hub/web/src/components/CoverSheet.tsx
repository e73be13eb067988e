// The cover sheet for the envelope: application no., matter, the applicant masked, the tracking number
// with its QR (drawn here from the tracking number alone: the envelope carries no code, ADR 0036) and
// the hall's address, printed and taped on before the envelope goes into the compartment.
import { useEffect, useState } from 'react';
import QRCode from 'qrcode';
import { useI18n } from '../i18n/index.js';

export interface CoverSheetFacts {
  applicationId: string;
  matter: string;
  applicant: string;
  trackingNumber: string;
  hall: { name: string; address: string } | null;
}

export function CoverSheet({ facts }: { facts: CoverSheetFacts }) {
  const { t } = useI18n();
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    QRCode.toDataURL(facts.trackingNumber, { errorCorrectionLevel: 'M', margin: 4, scale: 6 }).then(
      (url) => live && setSrc(url),
      () => live && setSrc(null),
    );
    return () => {
      live = false;
    };
  }, [facts.trackingNumber]);
  return (
    <div className="cover-sheet" id="cover-sheet">
      <dl className="facts">
        <dt>{t('f.appNo')}</dt>
        <dd id="cover-app-no">{facts.applicationId}</dd>
        <dt>{t('f.matter')}</dt>
        <dd>{facts.matter}</dd>
        <dt>{t('f.coverApplicant')}</dt>
        <dd id="cover-applicant">{facts.applicant}</dd>
        <dt>{t('f.coverTracking')}</dt>
        <dd className="tn" id="cover-tn">
          {facts.trackingNumber}
        </dd>
      </dl>
      {src && <img className="qr" id="cover-qr" src={src} alt={t('f.coverTracking')} />}
      {facts.hall && (
        <p className="hall" id="cover-hall">
          {t('f.coverHall')}: {facts.hall.name}, {facts.hall.address}
        </p>
      )}
      <p className="hint">{t('f.coverHint')}</p>
    </div>
  );
}
