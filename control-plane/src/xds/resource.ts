// A resource as the cache holds it: already encoded, named, and versioned by its content. A
// version is the SHA-256 of the bytes, so every replica, and the same replica after a restart,
// gives an unchanged resource the same version; that is what lets a Delta client's
// initial_resource_versions spare it a download.
import { hash } from 'node:crypto';
import { XdsError } from './errors.js';

export interface Resource {
  /** `type.googleapis.com/<message>`. */
  readonly typeUrl: string;
  /** Unique within its type in one snapshot. Never `*` (the wildcard) and never empty. */
  readonly name: string;
  /** `sha256:<hex>` of `body`. */
  readonly version: string;
  /** The encoded message: the `value` of the Any on the wire. */
  readonly body: Uint8Array;
}

/** `sha256:<hex>` of bytes. */
export function contentVersion(body: Uint8Array): string {
  // One-shot hash: half the cost of createHash for resource-sized inputs, and this runs for
  // every resource twice per publish (made, then checked).
  return `sha256:${hash('sha256', body, 'hex')}`;
}

/** A resource with its content version. Throws XdsError(XDS_ENCODE_INVALID) for a bad name or
 * type URL. */
export function makeResource(typeUrl: string, name: string, body: Uint8Array): Resource {
  checkTypeUrl(typeUrl);
  if (name === '' || name === '*') throw new XdsError('XDS_ENCODE_INVALID', `resource name ${JSON.stringify(name)} (${typeUrl}): must be non-empty and not "*"`);
  return Object.freeze({ typeUrl, name, version: contentVersion(body), body });
}

export function checkTypeUrl(typeUrl: string): void {
  const slash = typeUrl.lastIndexOf('/');
  if (slash <= 0 || slash === typeUrl.length - 1) {
    throw new XdsError('XDS_ENCODE_INVALID', `type URL ${JSON.stringify(typeUrl)}: expected <prefix>/<message full name>`);
  }
}

/**
 * The version of a set of resources: `sha256:` over their sorted (name, version) pairs. This is
 * the SotW `version_info` and Delta's `system_version_info`: equal sets give equal versions on
 * every replica, and the empty set has a version too (a response saying "none").
 */
export function setVersion(resources: Iterable<{ readonly name: string; readonly version: string }>): string {
  const pairs: string[] = [];
  for (const r of resources) pairs.push(`${r.name}\u0000${r.version}`);
  pairs.sort();
  let text = '';
  for (const p of pairs) text += `${p}\n`;
  return `sha256:${hash('sha256', text, 'hex')}`;
}
