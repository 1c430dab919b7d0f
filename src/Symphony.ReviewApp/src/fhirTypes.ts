/** The few FHIR R4 shapes the app reads; everything else is left untyped on purpose. */
export interface Coding { system?: string; code?: string; display?: string; version?: string }
export interface CodeableConcept { coding?: Coding[]; text?: string }
export interface Reference { reference?: string; display?: string }
export interface Extension { url: string; valueInteger?: number; valueString?: string; valueReference?: Reference; extension?: Extension[] }
export interface Meta { versionId?: string; lastUpdated?: string; tag?: Coding[] }
export interface Annotation { text?: string; time?: string }
export interface Resource { resourceType: string; id?: string; meta?: Meta; [key: string]: unknown }
export interface BundleEntry { resource?: Resource; search?: { mode?: string } }
export interface Bundle extends Resource { total?: number; link?: { relation: string; url: string }[]; entry?: BundleEntry[] }
export interface OperationOutcome extends Resource { issue?: { severity?: string; code?: string; diagnostics?: string; details?: { text?: string } }[] }
