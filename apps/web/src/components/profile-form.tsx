import { useMutation, useQueryClient } from '@tanstack/react-query';
import { TRPCClientError } from '@trpc/client';
import { useState, type FormEvent } from 'react';
import { useI18n } from '../i18n';
import { useTRPC } from '../trpc';
import { ErrorNote } from './status';

/** The field a failed call names (a taken username, a bio too long), with its message. */
function fieldError(error: unknown): { field: string; message: string } | null {
  if (!(error instanceof TRPCClientError)) return null;
  const data = error.data as
    { details?: { field?: unknown }; issues?: Array<{ path: string; message: string }> } | undefined;
  const issue = data?.issues?.[0];
  if (issue) return { field: issue.path, message: issue.message };
  const field = data?.details?.field;
  return typeof field === 'string' ? { field, message: error.message } : null;
}

/** Edit my username and bio; a refusal (a taken username) is shown at the field it concerns. */
export function ProfileForm(props: { username: string; bio: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [username, setUsername] = useState(props.username);
  const [bio, setBio] = useState(props.bio);
  const update = useMutation(
    trpc.users.updateMe.mutationOptions({
      onSuccess: async () => {
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.users.byId.pathKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.auth.session.queryKey() }),
        ]);
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    update.mutate({ username: username.trim(), bio });
  };
  const refused = fieldError(update.error);
  const fieldMessage = (field: string) =>
    refused?.field === field ? (
      <p id={`${field}-error`} role="alert" className="text-sm text-red-800">
        {refused.message}
      </p>
    ) : null;
  return (
    <form onSubmit={submit} className="space-y-3 rounded-xl border border-gray-200 bg-white p-4">
      <h2 className="text-lg font-semibold">{t('profile.edit')}</h2>
      <div className="space-y-1">
        <label className="block text-sm font-medium" htmlFor="profile-username">
          {t('auth.username')}
        </label>
        <input
          id="profile-username"
          required
          autoComplete="username"
          pattern="[A-Za-z0-9_.]{3,50}"
          aria-invalid={refused?.field === 'username'}
          aria-describedby={refused?.field === 'username' ? 'username-error' : 'username-hint'}
          value={username}
          onChange={(event) => setUsername(event.target.value)}
          className="w-full rounded border border-gray-300 px-2 py-1"
        />
        <p id="username-hint" className="text-xs text-gray-700">
          {t('profile.usernameHint')}
        </p>
        {fieldMessage('username')}
      </div>
      <div className="space-y-1">
        <label className="block text-sm font-medium" htmlFor="profile-bio">
          {t('profile.bio')}
        </label>
        <textarea
          id="profile-bio"
          rows={3}
          maxLength={500}
          aria-invalid={refused?.field === 'bio'}
          value={bio}
          onChange={(event) => setBio(event.target.value)}
          className="w-full rounded border border-gray-300 px-2 py-1"
        />
        {fieldMessage('bio')}
      </div>
      <div className="flex items-center gap-3">
        <button
          type="submit"
          disabled={update.isPending}
          className="rounded-lg bg-indigo-700 px-4 py-2 font-semibold text-white"
        >
          {t('profile.save')}
        </button>
        {update.isSuccess ? (
          <p role="status" className="text-sm text-green-800">
            {t('profile.saved')}
          </p>
        ) : null}
      </div>
      {update.error && !refused ? <ErrorNote error={update.error} /> : null}
    </form>
  );
}
