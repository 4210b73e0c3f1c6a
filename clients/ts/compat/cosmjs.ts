// Compile-time proof that CosmJS's stock clients fit the generated contract clients: the generated
// `*Client` classes take an `ISigningCosmWasmClient` (`*QueryClient`: `ICosmWasmClient`), which
// @cosmjs/cosmwasm-stargate's SigningCosmWasmClient / CosmWasmClient satisfy structurally.
// If a CosmJS or ts-codegen upgrade breaks that, `tsc` (scripts/ts-clients.sh) fails here.
import type { CosmWasmClient, SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { MarketClient, MarketQueryClient } from "../src/Market.client";
import { EscrowQueryClient } from "../src/Escrow.client";
import { ProviderClient, ProviderQueryClient } from "../src/Provider.client";

export function marketClient(client: SigningCosmWasmClient, sender: string, address: string): MarketClient {
  return new MarketClient(client, sender, address);
}

export function providerClient(client: SigningCosmWasmClient, sender: string, address: string): ProviderClient {
  return new ProviderClient(client, sender, address);
}

export function queryClients(client: CosmWasmClient, market: string, escrow: string, provider: string) {
  return {
    market: new MarketQueryClient(client, market),
    escrow: new EscrowQueryClient(client, escrow),
    provider: new ProviderQueryClient(client, provider),
  };
}
