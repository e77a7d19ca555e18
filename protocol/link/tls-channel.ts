/**
 * Binding Crew's handshakes to the TLS channel they run in. A dialer does not check the
 * listener's certificate against an authority; it checks that the end it shares a TLS channel
 * with knows the secret. Each end exports keying material from its own TLS session (RFC 5705,
 * `exportKeyingMaterial`) and folds it into the transcript its MACs, signatures and frame keys
 * cover. A man in the middle who terminates TLS holds two sessions with two different exports,
 * so the MACs fail on both sides; one who strips TLS leaves one side with none, and fails
 * alike. Plain links bind the word "plain", so that TLS cannot be taken off unnoticed either.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/** The RFC 5705 label of Crew's channel binding. */
export const EXPORTER_LABEL = 'EXPORTER-crew-channel-binding';
const EXPORT_BYTES = 32;
const NO_CONTEXT = Buffer.alloc(0);

/**
 * What this end sees of the channel under a link: `tls:` and the exported keying material, or
 * undefined for plain TCP.
 */
export function channelOf(socket: Socket | undefined): string | undefined {
  if (!(socket instanceof TLSSocket) || !socket.encrypted) return undefined;
  return `tls:${socket.exportKeyingMaterial(EXPORT_BYTES, EXPORTER_LABEL, NO_CONTEXT).toString('hex')}`;
}

/** A transcript bound to the channel: what every MAC, signature and frame key covers. */
export function boundTo(transcript: string, channel: string | undefined): string {
  return `${transcript}\0channel\0${channel ?? 'plain'}`;
}

/** "TLS" or "plain TCP", for messages. */
export function channelKind(channel: string | undefined): string {
  return channel ? 'TLS' : 'plain TCP';
}

/**
 * The listener's reason when the dialer proved the secret, but not over the channel the
 * listener sees: something between them terminates or strips TLS.
 */
export function middleSeenByListener(peer: string, channel: string | undefined): string {
  return (
    `${peer} knows the secret but its handshake was made over another channel than this end's ` +
    `${channelKind(channel)}: a man in the middle terminates or strips TLS between the two ends; ` +
    'the link is refused'
  );
}

/** The dialer's reason, once the listener proved the secret and said the channels differ. */
export function middleSeenByDialer(peer: string, channel: string | undefined): string {
  return (
    `${peer} proved it knows the secret but saw another channel than this end's ${channelKind(channel)}: ` +
    'a man in the middle terminates or strips TLS between the two ends; the link is refused'
  );
}
