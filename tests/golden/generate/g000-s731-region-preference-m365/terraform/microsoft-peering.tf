# erplan generate terraform: Microsoft peering and route filter per circuit of g000-s731-region-preference-m365.yaml
# A route filter with Microsoft 365 communities needs Microsoft's authorization.

variable "resource_group_name" {
  type = string
}

variable "location" {
  type        = string
  description = "Azure region of the route filters"
}

variable "circuit_names" {
  type        = map(string)
  description = "The Azure name of each ExpressRoute circuit, by design name"
  default = {
    "us-er" = "us-er"
    "eu-er" = "eu-er"
  }
}

variable "shared_key" {
  type      = string
  default   = null
  sensitive = true
}

variable "routing_registry_name" {
  type    = string
  default = null
}

# circuit us-er: Exchange Online, CRM Online
resource "azurerm_route_filter" "us_er" {
  name                = "us-er-services"
  resource_group_name = var.resource_group_name
  location            = var.location

  rule {
    name        = "allow-services"
    access      = "Allow"
    rule_type   = "Community"
    communities = ["12076:5010", "12076:5040"]
  }
}

resource "azurerm_express_route_circuit_peering" "us_er" {
  peering_type                  = "MicrosoftPeering"
  express_route_circuit_name    = var.circuit_names["us-er"]
  resource_group_name           = var.resource_group_name
  peer_asn                      = 394500
  primary_peer_address_prefix   = "20.2.1.0/30"
  secondary_peer_address_prefix = "20.2.1.4/30"
  vlan_id                       = 100
  shared_key                    = var.shared_key
  route_filter_id               = azurerm_route_filter.us_er.id

  microsoft_peering_config {
    advertised_public_prefixes = ["20.2.2.0/29"]
    routing_registry_name      = var.routing_registry_name
  }
}

# circuit eu-er: Exchange Online, CRM Online
resource "azurerm_route_filter" "eu_er" {
  name                = "eu-er-services"
  resource_group_name = var.resource_group_name
  location            = var.location

  rule {
    name        = "allow-services"
    access      = "Allow"
    rule_type   = "Community"
    communities = ["12076:5010", "12076:5040"]
  }
}

resource "azurerm_express_route_circuit_peering" "eu_er" {
  peering_type                  = "MicrosoftPeering"
  express_route_circuit_name    = var.circuit_names["eu-er"]
  resource_group_name           = var.resource_group_name
  peer_asn                      = 394500
  primary_peer_address_prefix   = "20.2.1.8/30"
  secondary_peer_address_prefix = "20.2.1.12/30"
  vlan_id                       = 200
  shared_key                    = var.shared_key
  route_filter_id               = azurerm_route_filter.eu_er.id

  microsoft_peering_config {
    advertised_public_prefixes = ["20.2.2.8/29"]
    routing_registry_name      = var.routing_registry_name
  }
}
