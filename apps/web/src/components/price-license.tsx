import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/en';

const LICENSES = ['personal', 'commercial', 'exclusive'] as const;
export type License = (typeof LICENSES)[number];

/** A description field: a style's (the studio and the owner's edit form) or a generation's. */
export function DescriptionField({
  id,
  label,
  value,
  onChange,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <div className="space-y-1">
      <label className="block text-sm font-medium" htmlFor={id}>
        {label}
      </label>
      <textarea
        id={id}
        rows={3}
        maxLength={2000}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        className="w-full rounded border border-gray-300 px-2 py-1"
      />
    </div>
  );
}

/** A style's description: the studio's field and the owner's edit form's. */
export function StyleDescription({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  const { t } = useI18n();
  return (
    <DescriptionField
      id="style-description"
      label={t('studio.description')}
      value={value}
      onChange={onChange}
    />
  );
}

/** Price per image and licence: the fields the edit form on the style page shares. */
export function PriceAndLicense({
  price,
  onPrice,
  license,
  onLicense,
}: {
  price: number;
  onPrice: (price: number) => void;
  license: License;
  onLicense: (license: License) => void;
}) {
  const { t } = useI18n();
  return (
    <div className="grid gap-3 sm:grid-cols-2">
      <div className="space-y-1">
        <label className="block text-sm font-medium" htmlFor="style-price">
          {t('studio.price')}
        </label>
        <input
          id="style-price"
          type="number"
          required
          min={1}
          max={10000}
          step={1}
          value={price}
          onChange={(event) => onPrice(Number(event.target.value))}
          className="w-full rounded border border-gray-300 px-2 py-1"
        />
      </div>
      <div className="space-y-1">
        <label className="block text-sm font-medium" htmlFor="style-license">
          {t('studio.license')}
        </label>
        <select
          id="style-license"
          value={license}
          onChange={(event) => onLicense(event.target.value as License)}
          className="w-full rounded border border-gray-300 px-2 py-1"
        >
          {LICENSES.map((option) => (
            <option key={option} value={option}>
              {t(`license.${option}` as MessageKey)}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}
