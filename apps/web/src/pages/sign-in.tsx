import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate } from 'react-router';
import { ErrorNote, Loading } from '../components/status';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { useTRPC } from '../trpc';

/** Google when the server has it configured; the development sign-in everywhere but production. */
export function SignInPage() {
  const { t } = useI18n();
  const trpc = useTRPC();
  const session = useSession();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [username, setUsername] = useState('');
  const signIn = useMutation(
    trpc.auth.devSignIn.mutationOptions({
      onSuccess: async () => {
        await queryClient.resetQueries();
        await navigate('/');
      },
    }),
  );
  if (session.isPending) return <Loading />;
  if (session.data?.user) return <Navigate to="/" replace />;
  const methods = session.data?.methods;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate({ username: username.trim() });
  };
  return (
    <section className="mx-auto max-w-sm space-y-5 py-6">
      <h1 className="text-2xl font-bold">{t('auth.title')}</h1>
      {methods?.google ? (
        <a
          href="/api/auth/google/login"
          className="block rounded-lg border border-gray-300 bg-white py-2 text-center font-medium"
        >
          {t('auth.google')}
        </a>
      ) : null}
      {methods?.devSignIn ? (
        <form onSubmit={submit} className="space-y-3 rounded-xl border border-gray-200 bg-white p-4">
          <h2 className="font-semibold">{t('auth.dev')}</h2>
          <p className="text-sm text-gray-700">{t('auth.devHint')}</p>
          <label className="block text-sm font-medium" htmlFor="username">
            {t('auth.username')}
          </label>
          <input
            id="username"
            required
            autoComplete="username"
            pattern="[A-Za-z0-9_.]{3,50}"
            value={username}
            onChange={(event) => setUsername(event.target.value)}
            className="w-full rounded border border-gray-300 px-2 py-1"
          />
          <button
            type="submit"
            disabled={signIn.isPending}
            className="w-full rounded-lg bg-indigo-700 py-2 font-semibold text-white"
          >
            {t('auth.signIn')}
          </button>
          {signIn.error ? <ErrorNote error={signIn.error} /> : null}
        </form>
      ) : null}
    </section>
  );
}
