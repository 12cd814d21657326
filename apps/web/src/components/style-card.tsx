import { Link } from 'react-router';
import { useI18n } from '../i18n';

/** A style in a grid: thumbnail, name, artist and price per image; opens the style's page. */
export function StyleCard({
  style,
  matched,
}: {
  /** A style as the catalogue, search and profile lists give it. */
  style: {
    id: string;
    name: string;
    artist: { artistName: string };
    thumbnailUrl: string | null;
    generationCostTokens: number;
  };
  matched?: string[];
}) {
  const props = {
    id: style.id,
    name: style.name,
    artistName: style.artist.artistName,
    thumbnailUrl: style.thumbnailUrl,
    cost: style.generationCostTokens,
    matched,
  };
  const { t } = useI18n();
  return (
    <Link
      to={`/styles/${props.id}`}
      className="block overflow-hidden rounded-xl border border-gray-200 bg-white shadow-sm"
    >
      {props.thumbnailUrl ? (
        <img
          src={props.thumbnailUrl}
          alt=""
          loading="lazy"
          className="aspect-square w-full bg-gray-100 object-cover"
        />
      ) : (
        <div className="aspect-square w-full bg-gray-100" />
      )}
      <div className="p-2">
        <p className="font-semibold">{props.name}</p>
        <p className="text-sm text-gray-700">{props.artistName}</p>
        <p className="text-sm text-indigo-800">{t('common.tokens', { count: props.cost })}</p>
        {props.matched?.length ? (
          <p className="text-xs text-gray-700">{t('market.matched', { fields: props.matched.join(', ') })}</p>
        ) : null}
      </div>
    </Link>
  );
}
