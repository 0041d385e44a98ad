// The discovery messages as protobufjs decodes them (field names as in the .proto files). Only
// what the server reads or writes is typed; resources stay packed Anys the server never opens.
import type { AnyValue } from './proto-root.js';

export interface StructMsg {
  fields?: Record<string, ValueMsg>;
}

/** google.protobuf.Value. protobufjs bundles the well-known types with camelCase field names,
 * whatever keepCase says, so these are camelCase while Envoy's own messages are snake_case. */
export interface ValueMsg {
  nullValue?: number | string;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: StructMsg;
  listValue?: { values?: ValueMsg[] };
}

export interface NodeMsg {
  id?: string;
  cluster?: string;
  metadata?: StructMsg | null;
  user_agent_name?: string;
}

export interface StatusMsg {
  code?: number;
  message?: string;
}

export interface DiscoveryRequestMsg {
  version_info: string;
  node?: NodeMsg | null;
  resource_names: string[];
  type_url: string;
  response_nonce: string;
  error_detail?: StatusMsg | null;
}

export interface DiscoveryResponseMsg {
  version_info: string;
  resources: AnyValue[];
  type_url: string;
  nonce: string;
  control_plane?: { identifier: string };
}

export interface DeltaDiscoveryRequestMsg {
  node?: NodeMsg | null;
  type_url: string;
  resource_names_subscribe: string[];
  resource_names_unsubscribe: string[];
  initial_resource_versions: Record<string, string>;
  response_nonce: string;
  error_detail?: StatusMsg | null;
}

export interface DeltaResourceMsg {
  name: string;
  version: string;
  resource: AnyValue;
}

export interface DeltaDiscoveryResponseMsg {
  system_version_info: string;
  resources: DeltaResourceMsg[];
  type_url: string;
  removed_resources: string[];
  nonce: string;
  control_plane?: { identifier: string };
}
