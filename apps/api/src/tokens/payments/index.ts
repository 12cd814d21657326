import type { ApiConfig } from '../../env';
import type { PaymentProvider } from './provider';
import { SandboxPaymentProvider } from './sandbox';
import { TossPaymentProvider } from './toss';

export { PaymentDeclined, type PaymentProvider, type ProviderPayment } from './provider';

/** Toss Payments where configured (always in production), the local sandbox otherwise. */
export function paymentProviderFromConfig(config: ApiConfig): PaymentProvider {
  if (config.PAYMENT_PROVIDER === 'toss') {
    return new TossPaymentProvider({
      clientKey: config.TOSS_CLIENT_KEY!,
      secretKey: config.TOSS_SECRET_KEY!,
      apiBaseUrl: config.TOSS_API_BASE_URL,
      publicUrl: config.PUBLIC_URL,
    });
  }
  return new SandboxPaymentProvider(config.PUBLIC_URL);
}
