# erplan generate terraform: Microsoft peering and route filter per circuit of g001-security-colocation.yaml
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
    "ny-er" = "ny-er"
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

# circuit ny-er: Exchange Online, SharePoint Online, Skype for Business Online, Other Office 365 Online services
resource "azurerm_route_filter" "ny_er" {
  name                = "ny-er-services"
  resource_group_name = var.resource_group_name
  location            = var.location

  rule {
    name        = "allow-services"
    access      = "Allow"
    rule_type   = "Community"
    communities = ["12076:5010", "12076:5020", "12076:5030", "12076:5100"]
  }
}

resource "azurerm_express_route_circuit_peering" "ny_er" {
  peering_type                  = "MicrosoftPeering"
  express_route_circuit_name    = var.circuit_names["ny-er"]
  resource_group_name           = var.resource_group_name
  peer_asn                      = 394500
  primary_peer_address_prefix   = "1.1.10.0/30"
  secondary_peer_address_prefix = "1.1.10.4/30"
  vlan_id                       = 100
  shared_key                    = var.shared_key
  route_filter_id               = azurerm_route_filter.ny_er.id

  microsoft_peering_config {
    advertised_public_prefixes = ["1.1.2.0/24"]
    routing_registry_name      = var.routing_registry_name
  }
}
