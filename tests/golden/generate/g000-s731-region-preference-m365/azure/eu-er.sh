#!/bin/sh
# erplan generate az: Microsoft peering of circuit eu-er
# design: g000-s731-region-preference-m365.yaml; peering location Amsterdam
# usage: RESOURCE_GROUP=rg [CIRCUIT=name] [ROUTE_FILTER=name] sh THIS deploy|verify|rollback
# A route filter with Microsoft 365 communities needs Microsoft's authorization.
set -eu
: "${RESOURCE_GROUP:?set RESOURCE_GROUP to the resource group of the circuit}"
CIRCUIT="${CIRCUIT-}"
[ -n "$CIRCUIT" ] || CIRCUIT=eu-er
ROUTE_FILTER="${ROUTE_FILTER-}"
[ -n "$ROUTE_FILTER" ] || ROUTE_FILTER=eu-er-services

deploy() {
  # the route filter, one rule admitting the services' communities
  az network route-filter create --name "$ROUTE_FILTER" --resource-group "$RESOURCE_GROUP"
  # its rule: Exchange Online, CRM Online
  az network route-filter rule create --filter-name "$ROUTE_FILTER" --name allow-services --resource-group "$RESOURCE_GROUP" --access Allow --communities 12076:5010 12076:5040
  # the Microsoft peering: both links, ASN, VLAN, advertised prefixes
  az network express-route peering create --circuit-name "$CIRCUIT" --resource-group "$RESOURCE_GROUP" --peering-type MicrosoftPeering --peer-asn 394500 --vlan-id 200 --primary-peer-subnet 20.2.1.8/30 --secondary-peer-subnet 20.2.1.12/30 --advertised-public-prefixes 20.2.2.8/29
  # attach the route filter: Microsoft advertises nothing on a new peering until then
  az network express-route peering update --circuit-name "$CIRCUIT" --resource-group "$RESOURCE_GROUP" --name MicrosoftPeering --route-filter "$ROUTE_FILTER"
}

verify() {
  # the peering's state and the validation of its advertised prefixes
  az network express-route peering show --circuit-name "$CIRCUIT" --resource-group "$RESOURCE_GROUP" --name MicrosoftPeering --query '{state: state, prefixes: microsoftPeeringConfig.advertisedPublicPrefixesState, filter: routeFilter.id}'
  # routes on the primary link (Get-AzExpressRouteCircuitRouteTable -DevicePath Primary)
  az network express-route list-route-tables --name "$CIRCUIT" --resource-group "$RESOURCE_GROUP" --peering-name MicrosoftPeering --path primary
  # routes on the secondary link (Get-AzExpressRouteCircuitRouteTable -DevicePath Secondary)
  az network express-route list-route-tables --name "$CIRCUIT" --resource-group "$RESOURCE_GROUP" --peering-name MicrosoftPeering --path secondary
}

rollback() {
  # detach the route filter: Microsoft stops advertising its prefixes
  az network express-route peering update --circuit-name "$CIRCUIT" --resource-group "$RESOURCE_GROUP" --name MicrosoftPeering --remove routeFilter
  # remove the Microsoft peering
  az network express-route peering delete --circuit-name "$CIRCUIT" --resource-group "$RESOURCE_GROUP" --name MicrosoftPeering
  # remove the route filter (only once no circuit uses it)
  az network route-filter delete --name "$ROUTE_FILTER" --resource-group "$RESOURCE_GROUP"
}

case "${1-}" in
  deploy|verify|rollback) "$1" ;;
  *) echo "usage: $0 deploy|verify|rollback" >&2; exit 2 ;;
esac
