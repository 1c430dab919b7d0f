using System.Text.Json;
using System.Text.Json.Serialization;

namespace Symphony.Terminology.Model;

/// <summary>
/// Reads a designation stored as a plain string (rows written before designations had language and use) or as an
/// object; writes a plain string when there is nothing but the text, so such rows stay as they were.
/// </summary>
public sealed class DesignationJsonConverter : JsonConverter<Designation>
{
    public override Designation Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String) return new Designation(reader.GetString()!);
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("a designation is a string or an object");
        string? value = null, language = null, use = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            var text = reader.TokenType == JsonTokenType.Null ? null : reader.GetString();
            switch (name)
            {
                case "value": value = text; break;
                case "language": language = text; break;
                case "use": use = text; break;
            }
        }
        return new Designation(value ?? throw new JsonException("a designation without a value"), language, use);
    }

    public override void Write(Utf8JsonWriter writer, Designation value, JsonSerializerOptions options)
    {
        if (value.Language is null && value.Use is null)
        {
            writer.WriteStringValue(value.Value);
            return;
        }
        writer.WriteStartObject();
        writer.WriteString("value", value.Value);
        if (value.Language is not null) writer.WriteString("language", value.Language);
        if (value.Use is not null) writer.WriteString("use", value.Use);
        writer.WriteEndObject();
    }
}
