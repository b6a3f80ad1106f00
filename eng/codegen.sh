#!/usr/bin/env bash
# Regenerates Wolverine's handler and endpoint adapters into src/Host/Internal/Generated (ADR 6).
# Run it after adding or changing a handler, an HTTP endpoint or a Wolverine policy, then commit the result;
# GeneratedCodeTests fails until the committed code matches what Wolverine would generate.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/eng/services.sh" # for Azurite's well-known development account
generated="$root/src/Host/Internal/Generated"
# The old files may no longer compile against changed handlers, so the Host is built without them first.
rm -rf "$generated"
dotnet build "$root/src/Host/Inlet.Host.csproj" -c Release --nologo -v quiet
# Generating needs no database or storage; the connection strings only have to be well-formed.
ConnectionStrings__Postgres="${ConnectionStrings__Postgres:-Host=127.0.0.1;Database=inlet;Username=inlet;Password=inlet}" \
ConnectionStrings__Storage="${ConnectionStrings__Storage:-AccountName=$AZURITE_ACCOUNT;AccountKey=$AZURITE_KEY;BlobEndpoint=http://127.0.0.1:10000/$AZURITE_ACCOUNT}" \
ConnectionStrings__Landing="${ConnectionStrings__Landing:-AccountName=$LANDING_ACCOUNT;AccountKey=$LANDING_KEY;BlobEndpoint=http://127.0.0.1:10000/$LANDING_ACCOUNT}" \
CodeGeneration__OutputPath="$generated" \
  dotnet "$root/src/Host/bin/Release/net10.0/Inlet.Host.dll" codegen write >/dev/null
dotnet build "$root/src/Host/Inlet.Host.csproj" -c Release --nologo -v quiet
echo "generated $(find "$generated" -name '*.cs' | wc -l) files into ${generated#"$root/"}"
